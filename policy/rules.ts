// The policies, as plain functions over a resource's type and inputs, so each one is tested with
// a good and a bad resource without the engine. ./index.ts registers them as a PolicyPack.
import { imagePinProblem } from "../components/fields";
import { SECRET_LOOKING_ENV } from "../stacks/config/schema";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource inputs are open-ended data */
export type Props = Record<string, any>;
export interface Resource {
  type: string;
  name: string;
  props: Props;
}

const CONTAINER = "docker:index/container:Container";
const WORKLOAD_KINDS = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"]);
const CRONJOB = "kubernetes:batch/v1:CronJob";

/** Containers of a Kubernetes workload or CronJob, with where they sit. */
export function podContainers(r: Resource): any[] {
  if (WORKLOAD_KINDS.has(r.type)) return r.props.spec?.template?.spec?.containers ?? [];
  if (r.type === CRONJOB) return r.props.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];
  return [];
}

function dockerLabels(props: Props): Record<string, string> {
  return Object.fromEntries(
    ((props.labels ?? []) as Array<{ label: string; value: string }>).map((l) => [l.label, l.value]),
  );
}

export function labelsOf(r: Resource): Record<string, string> {
  return r.type === CONTAINER ? dockerLabels(r.props) : (r.props.metadata?.labels ?? {});
}

/** Scheduled jobs run under a scheduler on Docker; their health is their metrics (BackupStale). */
function isScheduledJob(r: Resource): boolean {
  return r.type === CONTAINER && labelsOf(r)["ops-baseline/schedule"] !== undefined;
}

export function resourceLimits(r: Resource): string[] {
  if (r.type === CONTAINER) {
    return [
      ...(r.props.memory > 0 ? [] : [`${r.name}: no memory limit`]),
      ...(Number(r.props.cpus) > 0 ? [] : [`${r.name}: no CPU limit`]),
    ];
  }
  return podContainers(r).flatMap((c) =>
    c.resources?.limits?.cpu && c.resources?.limits?.memory ? [] : [`${r.name}/${c.name}: no CPU and memory limits`],
  );
}

export function healthChecks(r: Resource): string[] {
  if (r.type === CONTAINER) return r.props.healthcheck || isScheduledJob(r) ? [] : [`${r.name}: no healthcheck`];
  if (!WORKLOAD_KINDS.has(r.type)) return [];
  // The first container serves and needs both; a sidecar needs liveness only (its readiness
  // would take the serving container out of its Service).
  return podContainers(r).flatMap((c, i) =>
    i > 0
      ? c.livenessProbe
        ? []
        : [`${r.name}/${c.name}: a sidecar needs a liveness probe`]
      : c.livenessProbe && c.readinessProbe
        ? []
        : [`${r.name}/${c.name}: needs liveness and readiness probes`],
  );
}

export function pinnedImages(r: Resource): string[] {
  const images = r.type === CONTAINER ? [r.props.image] : podContainers(r).map((c) => c.image);
  return images.flatMap((image) => {
    if (typeof image !== "string") return [];
    const problem = imagePinProblem(image);
    return problem ? [`${r.name}: ${problem}`] : [];
  });
}

export function cappedLogs(r: Resource): string[] {
  if (r.type !== CONTAINER) return [];
  const opts = r.props.logOpts ?? {};
  return opts["max-size"] && opts["max-file"]
    ? []
    : [`${r.name}: its log is not capped (logOpts max-size and max-file)`];
}

/** No credential-looking environment variable with a literal value (Kubernetes: use secretKeyRef). */
export function noPlaintextSecretEnv(r: Resource): string[] {
  return podContainers(r).flatMap((c) =>
    ((c.env ?? []) as Array<{ name: string; value?: string }>)
      .filter((e) => SECRET_LOOKING_ENV.test(e.name) && e.value !== undefined)
      .map((e) => `${r.name}/${c.name}: ${e.name} has a literal value; take it from a Secret (valueFrom.secretKeyRef)`),
  );
}

/** Every data store has a backup: a CronJob or container labelled ops-baseline/backup-of=<name>. */
export function dataStoresHaveBackups(resources: Resource[]): string[] {
  const stores = resources
    .filter((r) => r.type === CONTAINER || r.type === "kubernetes:apps/v1:StatefulSet")
    .filter((r) => labelsOf(r)["app.kubernetes.io/component"] === "datastore")
    .map((r) => labelsOf(r)["app.kubernetes.io/name"]);
  const backedUp = new Set(resources.map((r) => labelsOf(r)["ops-baseline/backup-of"]).filter(Boolean));
  return [...new Set(stores)].filter((s) => !backedUp.has(s)).map((s) => `data store ${s} has no backup`);
}

/** The persistent volumes of a Deployment or StatefulSet: claims it mounts and claim templates. */
function persistentClaims(w: Resource): string[] {
  const volumes: any[] = w.props.spec?.template?.spec?.volumes ?? [];
  const templates: any[] = w.props.spec?.volumeClaimTemplates ?? [];
  return [
    ...volumes.filter((v) => v.persistentVolumeClaim).map((v) => String(v.persistentVolumeClaim.claimName)),
    ...templates.map((t) => String(t.metadata?.name)),
  ].sort();
}

/**
 * Kubernetes workloads: non-root; stateless services run at least two replicas under a
 * PodDisruptionBudget; the namespace has a default-deny NetworkPolicy.
 */
export function kubernetesProduction(resources: Resource[]): string[] {
  const problems: string[] = [];
  const workloads = resources.filter((r) => WORKLOAD_KINDS.has(r.type));
  if (workloads.length === 0) return problems;
  const pdbs = resources.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget");
  // A dev-profile stack on Kubernetes (its namespace says so) runs one replica by design.
  const devProfile = resources.some(
    (r) => r.type === "kubernetes:core/v1:Namespace" && labelsOf(r)["ops-baseline/profile"] === "dev",
  );
  for (const w of workloads) {
    const pod = w.props.spec?.template?.spec ?? {};
    if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${w.name}: pods must set runAsNonRoot`);
    // A persistent volume makes a workload stateful, whatever it runs: a StatefulSet with one
    // claim per replica, its volumes' group set (fsGroup), outside the two-replica rule.
    const claims = persistentClaims(w);
    if (claims.length > 0 && w.type === "kubernetes:apps/v1:Deployment") {
      problems.push(
        `${w.name}: mounts the persistent volume claim ${claims.join(", ")} from a Deployment, whose replicas would share one ReadWriteOnce claim; a workload with a persistent volume is stateful: run it as a StatefulSet with volumeClaimTemplates`,
      );
    }
    if (claims.length > 0 && pod.securityContext?.fsGroup === undefined) {
      problems.push(
        `${w.name}: has a persistent volume (${claims.join(", ")}) but no fsGroup, so the volume stays root's and a non-root process cannot write it; set securityContext.fsGroup`,
      );
    }
    // Services scale out; exporters and the monitoring servers run one replica each by design.
    const stateless =
      w.type === "kubernetes:apps/v1:Deployment" &&
      labelsOf(w)["app.kubernetes.io/component"] === "service" &&
      claims.length === 0;
    const replicas = w.props.spec?.replicas ?? 1;
    if (stateless && replicas < 2 && !devProfile)
      problems.push(`${w.name}: a stateless workload needs at least 2 replicas, has ${replicas}`);
    if (replicas >= 2) {
      const selector = JSON.stringify(w.props.spec?.selector?.matchLabels ?? {});
      if (!pdbs.some((p) => JSON.stringify(p.props.spec?.selector?.matchLabels ?? {}) === selector)) {
        problems.push(`${w.name}: ${replicas} replicas but no PodDisruptionBudget selects them`);
      }
    }
  }
  const denyAll = resources.some(
    (r) =>
      r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
      Object.keys(r.props.spec?.podSelector ?? { x: 1 }).length === 0 &&
      !r.props.spec?.ingress &&
      (r.props.spec?.policyTypes ?? []).includes("Ingress"),
  );
  if (!denyAll) problems.push("no default-deny NetworkPolicy (podSelector {} with no ingress rules)");
  return problems;
}

export const RESOURCE_POLICIES = {
  "resource-limits": { description: "Every container has CPU and memory limits.", check: resourceLimits },
  "health-checks": { description: "Every long-running container has health checks.", check: healthChecks },
  "pinned-images": {
    description: "Every image is pinned by a version tag or a digest, never latest.",
    check: pinnedImages,
  },
  "capped-logs": { description: "Every Docker container caps its log (max-size, max-file).", check: cappedLogs },
  "no-plaintext-secret-env": {
    description: "No credential in a plain environment variable.",
    check: noPlaintextSecretEnv,
  },
} as const;

export const STACK_POLICIES = {
  "data-stores-have-backups": { description: "Every data store has a scheduled backup.", check: dataStoresHaveBackups },
  "kubernetes-production": {
    description:
      "Kubernetes workloads run non-root, stateless ones with two replicas (not in a dev-profile stack) and a PDB, stateful ones (a persistent volume) as StatefulSets with an fsGroup, behind a default-deny NetworkPolicy.",
    check: kubernetesProduction,
  },
} as const;
