// What the platform would refuse at deploy, found at load: the plan is built from the validated
// config (pure, nothing registered) and every image it runs, every Kubernetes object it would
// place and every host port it publishes is checked. Each problem names the stack-file key it
// comes from and what would be right.
import { imagePinProblem } from "../../components/fields";
import { cronJob } from "../../components/targets/kubernetes/jobs";
import { networkPolicies } from "../../components/targets/kubernetes/network";
import type { K8sObject, KubeContext } from "../../components/targets/kubernetes/objects";
import { apiAccessObjects } from "../../components/targets/kubernetes/identities";
import {
  filesConfigMapName,
  persistentVolumeClaims,
  secretEnvName,
  secretFilesName,
} from "../../components/targets/kubernetes/storage";
import { podDisruptionBudget, services, workloadController } from "../../components/targets/kubernetes/workloads";
import type { ContainerSpec } from "../../components/workloads/model";
import { planEnvironment, type EnvironmentPlan } from "../plan";
import { isPlainObject } from "./defaults";
import type { ConfigProblem } from "./problems";
import type { StackConfig } from "./schema";

export function platformProblems(config: StackConfig): ConfigProblem[] {
  const plan = planEnvironment(config);
  return [
    ...imageProblems(config, plan),
    ...hostPortProblems(config, plan),
    ...(config.target.kind === "kubernetes" ? kubernetesNameProblems(config, plan) : []),
  ];
}

// ---- where a value comes from -----------------------------------------------------------

/** Key paths of the config whose value satisfies `match`, in a stable order. */
function keyPaths(value: unknown, match: (key: string, value: unknown) => boolean, at: string[] = []): string[] {
  const found: string[] = [];
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : isPlainObject(value)
      ? Object.entries(value)
      : [];
  for (const [key, child] of entries) {
    if (match(key, child)) found.push([...at, key].join("."));
    found.push(...keyPaths(child, match, [...at, key]));
  }
  return found;
}

/** The stack-file key of a declared part whose name the object's name is, or begins with. */
function ownerKey(config: StackConfig, objectName: string): { key: string; name: string } | undefined {
  const declared: Array<[string, string]> = [
    ...Object.keys(config.services).map((n): [string, string] => [n, `services.${n}`]),
    ...Object.keys(config.dataStores).map((n): [string, string] => [n, `dataStores.${n}`]),
    ...Object.keys(config.jobs).map((n): [string, string] => [n, `jobs.${n}`]),
    ...Object.keys(config.entrypoints).map((n): [string, string] => [n, `entrypoints.${n}`]),
  ];
  const candidates = declared
    .filter(([n]) => objectName === n || objectName.startsWith(`${n}-`))
    .sort(([a], [b]) => b.length - a.length || a.localeCompare(b));
  return candidates[0] && { name: candidates[0][0], key: candidates[0][1] };
}

// ---- images -------------------------------------------------------------------------------

function containerImages(obj: unknown): string[] {
  return keyPaths(obj, (key, v) => key === "image" && typeof v === "string").map((p) =>
    String(
      p.split(".").reduce<unknown>((cur, k) => (isPlainObject(cur) ? cur[k] : (cur as unknown[])[Number(k)]), obj),
    ),
  );
}

/**
 * Every image the stack runs is pinned: services', data stores', sidecars', jobs', the monitoring
 * and log parts', whatever part of the file (or the profile's defaults) names it.
 */
function imageProblems(config: StackConfig, plan: EnvironmentPlan): ConfigProblem[] {
  const runs = new Map<string, string>();
  const specs: Array<[string, ContainerSpec]> = [
    ...plan.workloads.flatMap((w) => [
      [w.name, w] as [string, ContainerSpec],
      ...w.sidecars.map((s): [string, ContainerSpec] => [w.name, s]),
    ]),
    ...plan.jobs.map((j): [string, ContainerSpec] => [j.name, j]),
  ];
  for (const [owner, spec] of specs) if (!runs.has(spec.image.ref)) runs.set(spec.image.ref, owner);
  for (const obj of plan.ingress.objects) {
    for (const image of containerImages(obj)) if (!runs.has(image)) runs.set(image, String(obj.metadata?.name));
  }
  const problems: ConfigProblem[] = [];
  for (const [ref, owner] of [...runs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const problem = imagePinProblem(ref);
    if (!problem) continue;
    const paths = keyPaths(config, (key, v) => key.toLowerCase().endsWith("image") && v === ref);
    const path = paths[0] ?? ownerKey(config, owner)?.key ?? "target";
    const where = paths[0] ? "" : ` (the image of ${owner}, which the project sets)`;
    problems.push({ path, message: `${problem}${where}; every image the stack runs must be pinned` });
  }
  return problems;
}

// ---- host ports -------------------------------------------------------------------------

/**
 * Host ports the services, data stores and entry points publish are checked by the loader's
 * service checks; this finds the others (monitoring and log servers) taking one of those, or
 * each other's.
 */
function hostPortProblems(config: StackConfig, plan: EnvironmentPlan): ConfigProblem[] {
  const own = new Set([...Object.keys(config.services), ...Object.keys(config.dataStores)]);
  const owners = new Map<number, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    svc.ports.forEach(
      (p, i) => p.hostPort !== undefined && owners.set(p.hostPort, `services.${name}.ports.${i}.hostPort`),
    );
  }
  for (const [name, store] of Object.entries(config.dataStores)) {
    if (store.hostPort !== undefined && !owners.has(store.hostPort))
      owners.set(store.hostPort, `dataStores.${name}.hostPort`);
  }
  if (config.target.kind === "docker") {
    for (const [name, entry] of Object.entries(config.entrypoints)) {
      if (!owners.has(entry.port)) owners.set(entry.port, `entrypoints.${name}.port`);
      own.add(name);
    }
  }
  const problems: ConfigProblem[] = [];
  const others = plan.workloads.filter((w) => !own.has(w.name)).sort((a, b) => a.name.localeCompare(b.name));
  for (const w of others) {
    for (const p of w.ports) {
      if (p.hostPort === undefined) continue;
      const port = p.hostPort;
      const candidates = keyPaths(config, (key, v) => key === "hostPort" && v === port).filter(
        (k) => !/^(services|dataStores|entrypoints)\./.test(k),
      );
      const path = candidates.find((k) => k.split(".").includes(w.name)) ?? candidates[0] ?? `${w.name}`;
      const owner = owners.get(port);
      if (owner) {
        problems.push({
          path,
          message: `host port ${port} (${w.name}) is already published by ${owner}; pick another port`,
        });
      } else owners.set(port, path);
    }
  }
  return problems;
}

// ---- Kubernetes object names ------------------------------------------------------------

/**
 * The name limits Kubernetes enforces on what the stack places: a DNS label (63) for Services,
 * Namespaces, containers, volumes and label values; 52 for CronJobs (the controller appends an
 * 11-character suffix to a Job's name) and StatefulSets (the controller-revision-hash label
 * appends 11 to the name); 253 for other objects.
 */
const LIMITS: Record<string, number> = { Service: 63, Namespace: 63, CronJob: 52, StatefulSet: 52 };

function kubernetesNameProblems(config: StackConfig, plan: EnvironmentPlan): ConfigProblem[] {
  if (config.target.kind !== "kubernetes") return [];
  const ctx: KubeContext = {
    namespace: config.target.namespace,
    commonLabels: { "app.kubernetes.io/part-of": "ops-baseline", "ops-baseline/environment": config.environment },
  };
  const placed: Array<{ kind: string; name: string; limit: number; owner: string }> = [];
  const add = (kind: string, name: string, owner: string, limit = LIMITS[kind] ?? 253) =>
    placed.push({ kind, name, limit, owner });
  const addObject = (obj: K8sObject, owner: string) => {
    add(String(obj.kind), String(obj.metadata?.name), owner);
    for (const [label, value] of Object.entries((obj.metadata?.labels ?? {}) as Record<string, string>)) {
      add(`label ${label} of ${String(obj.kind)} ${String(obj.metadata?.name)}`, value, owner, 63);
    }
    const pod = obj.spec?.template?.spec ?? obj.spec?.jobTemplate?.spec?.template?.spec;
    for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])])
      add("container", String(c.name), owner, 63);
    for (const v of pod?.volumes ?? []) add("volume", String(v.name), owner, 63);
  };
  add("Namespace", config.target.namespace, "target.namespace");
  if (config.target.clusterMonitoring.enabled) {
    add("Namespace", config.target.clusterMonitoring.nodeNamespace, "target.clusterMonitoring.nodeNamespace");
  }
  for (const w of plan.workloads) {
    const controller = workloadController(w, ctx);
    addObject(controller, w.name);
    if (controller.kind === "StatefulSet") {
      const last = Math.max(w.replicas - 1, 0);
      add("pod (its host name)", `${w.name}-${last}`, w.name, 63);
      for (const t of controller.spec.volumeClaimTemplates as K8sObject[]) {
        add("PersistentVolumeClaim", `${String(t.metadata.name)}-${w.name}-${last}`, w.name);
      }
    }
    for (const obj of [...services(w, ctx), ...persistentVolumeClaims(w, ctx), ...apiAccessObjects(w, ctx)])
      addObject(obj, w.name);
    const pdb = podDisruptionBudget(w, ctx);
    if (pdb) addObject(pdb, w.name);
    for (const name of [filesConfigMapName(w.name), secretEnvName(w.name), secretFilesName(w.name)])
      add("ConfigMap or Secret", name, w.name);
  }
  for (const job of plan.jobs) {
    addObject(cronJob(job, ctx), job.name);
    for (const obj of persistentVolumeClaims(job, ctx)) addObject(obj, job.name);
  }
  for (const obj of networkPolicies(plan.workloads, plan.jobs, ctx)) addObject(obj, String(obj.metadata?.name));
  for (const obj of plan.ingress.objects) addObject(obj, String(obj.metadata?.name));

  // One line per key and limit: the name furthest over it says by how much to shorten the key.
  const worst = new Map<string, { over: number; problem: ConfigProblem }>();
  for (const { kind, name, limit, owner } of placed) {
    if (name.length <= limit) continue;
    const declared = owner.includes(".") ? { key: owner, name: undefined } : ownerKey(config, owner);
    const path = declared?.key ?? "target.namespace";
    const over = name.length - limit;
    const fix = declared?.name
      ? `shorten "${declared.name}" by ${over} character${over === 1 ? "" : "s"} (to at most ${declared.name.length - over})`
      : `shorten it by ${over} character${over === 1 ? "" : "s"}`;
    const message = `makes the Kubernetes ${kind} "${name}" (${name.length} characters), and Kubernetes refuses more than ${limit} there; ${fix}`;
    const at = `${path}\0${limit}`;
    if ((worst.get(at)?.over ?? 0) < over) worst.set(at, { over, problem: { path, message } });
  }
  return [...worst.values()].map((w) => w.problem);
}
