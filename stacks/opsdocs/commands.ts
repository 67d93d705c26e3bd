// Copy-paste commands for a stack's target. Every name in them comes from the functions the
// targets use to name what they create (Docker: containerName/volumeName; Kubernetes: the
// manifests' own metadata), so a command names only containers, workloads, namespaces and
// volumes that the stack deploys. Pure: no Pulumi import.
import type { StackConfig } from "../config/schema";
import { containerName, volumeName, type DockerContext } from "../../components/targets/docker/containers";
import { cronJob } from "../../components/targets/kubernetes/jobs";
import type { KubeContext } from "../../components/targets/kubernetes/objects";
import { claimName, persistentVolumeClaims } from "../../components/targets/kubernetes/storage";
import { workloadController } from "../../components/targets/kubernetes/workloads";
import type { Probe, ScheduledJob, Workload } from "../../components/workloads/model";

/** A shell word, quoted only when it needs to be. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const shellLine = (argv: string[]) => argv.map(shellQuote).join(" ");

export interface TargetCommands {
  kind: "docker" | "kubernetes";
  /** How the docs name the place things run ("container", "pod"). */
  unit: string;
  /** One line per workload and job with its state. */
  overview: string[];
  /** The last log lines of a workload (its first replica) or a job's latest run. */
  logs(owner: Workload | ScheduledJob, previous?: boolean): string;
  /** The health state the target sees (Docker healthcheck, pod readiness). */
  health(w: Workload): string;
  /** Restart every replica and wait until it is healthy again. */
  restart(w: Workload): string[];
  /** Runs argv inside a workload (its first replica). */
  exec(w: Workload, argv: string[]): string;
  /** Runs a scheduled job once, now, with its usual command. */
  runJobNow(job: ScheduledJob, runName: string): string[];
  /** Runs argv with a scheduled job's image, volumes and settings (a restore, a listing). */
  runInJob(job: ScheduledJob, argv: string[], runName: string): string[];
  /** CPU and memory use of everything. */
  usage: string;
  /** Reaches a workload's port from the operator's shell; returns [setup, url base]. */
  reach(w: Workload, port: string): { setup?: string; url: string };
  /** The names of the persistent volumes (volumes or claims) of the stack. */
  volumes: string[];
  /** Lists the persistent volumes with their sizes. */
  listVolumes: string;
  /** Stops one workload without removing it (keeps its data), and starts it again. */
  stop(w: Workload): string;
  start(w: Workload): string;
  /** Name of every container (Docker) or controller `kind/name` (Kubernetes) the commands use. */
  placements: string[];
}

export interface PlacedStack {
  config: StackConfig;
  /** The Pulumi stack name: Docker object names carry it. */
  stack: string;
  workloads: Workload[];
  jobs: ScheduledJob[];
}

export function targetCommands(placed: PlacedStack): TargetCommands {
  return placed.config.target.kind === "docker"
    ? dockerCommands(placed, {
        stack: placed.stack,
        bindAddress: placed.config.target.bindAddress,
        networkName: `ops-baseline-${placed.stack}`,
      })
    : kubernetesCommands(placed, {
        namespace: placed.config.target.namespace,
        storageClass: placed.config.target.storageClass,
        commonLabels: {},
        statefulWorkloads: new Set(placed.workloads.filter((w) => w.stateful).map((w) => w.name)),
      });
}

/** Docker: `docker` against the engine the stack file names. */
export function dockerCommands(placed: PlacedStack, ctx: DockerContext): TargetCommands {
  const replicas = (w: Workload) =>
    Array.from({ length: Math.max(1, w.replicas) }, (_, r) => containerName(ctx, w.name, r));
  const jobContainer = (job: ScheduledJob) => containerName(ctx, job.name);
  const volumes = [
    ...placed.workloads.flatMap((w) =>
      w.volumes.filter((v) => v.persistent && !v.sharedFrom).map((v) => volumeName(ctx, w.name, v.name)),
    ),
    ...placed.jobs.flatMap((j) =>
      j.volumes.filter((v) => v.persistent && !v.sharedFrom).map((v) => volumeName(ctx, j.name, v.name)),
    ),
  ].sort();
  const prefix = containerName(ctx, "");
  return {
    kind: "docker",
    unit: "container",
    overview: [`docker ps -a --filter name=${prefix} --format 'table {{.Names}}\\t{{.Status}}'`],
    logs: (owner) => `docker logs --tail 100 ${owner.kind === "job" ? jobContainer(owner) : replicas(owner)[0]}`,
    health: (w) =>
      `docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' ${replicas(w).join(" ")}`,
    restart: (w) => [
      `docker restart ${replicas(w).join(" ")}`,
      ...(w.health.readiness || w.health.liveness
        ? [
            `until [ "$(docker inspect --format '{{.State.Health.Status}}' ${replicas(w)[0]})" = healthy ]; do sleep 2; done`,
          ]
        : []),
    ],
    exec: (w, argv) => `docker exec ${replicas(w)[0]} ${shellLine(argv)}`,
    // On Docker a job lives in a long-running container under the scheduler; run it there.
    runJobNow: (job) => [
      `docker exec ${jobContainer(job)} ${shellLine([...(job.command ?? []), ...(job.args ?? [])])}`,
    ],
    runInJob: (job, argv) => [`docker exec ${jobContainer(job)} ${shellLine(argv)}`],
    usage: `docker stats --no-stream $(docker ps -q --filter name=${prefix})`,
    reach: (w, port) => {
      const p = w.ports.find((x) => x.name === port);
      if (p?.hostPort !== undefined) return { url: address(hostFor(ctx.bindAddress), p.hostPort, port) };
      // Not published: from inside the workload itself.
      return { url: `(inside ${replicas(w)[0]}) ${address("127.0.0.1", p?.containerPort ?? 0, port)}` };
    },
    volumes,
    listVolumes: `docker volume ls --filter name=${prefix}`,
    stop: (w) => `docker stop ${replicas(w).join(" ")}`,
    start: (w) => `docker start ${replicas(w).join(" ")}`,
    placements: [
      ...placed.workloads.flatMap((w) => [
        ...replicas(w),
        ...w.sidecars.map((s) => containerName(ctx, `${w.name}-${s.name}`)),
      ]),
      ...placed.jobs.map(jobContainer),
    ].sort(),
  };
}

/** A URL for ports that speak HTTP (by their name), else host:port. */
function address(host: string, port: number, name: string): string {
  if (name === "https") return `https://${host}:${port}`;
  return /^(http|web|metrics)$/.test(name) ? `http://${host}:${port}` : `${host}:${port} (${name})`;
}

function hostFor(bindAddress: string): string {
  if (bindAddress === "0.0.0.0") return "127.0.0.1";
  return bindAddress.includes(":") ? `[${bindAddress}]` : bindAddress;
}

/** Kubernetes: `kubectl` in the stack's namespace, with the current context. */
export function kubernetesCommands(placed: PlacedStack, ctx: KubeContext): TargetCommands {
  const ns = `kubectl -n ${ctx.namespace}`;
  const ref = (w: Workload) => {
    const o = workloadController(w, ctx);
    return `${String(o.kind).toLowerCase()}/${o.metadata.name}`;
  };
  const cron = (job: ScheduledJob) => `cronjob/${cronJob(job, ctx).metadata.name}`;
  const claims = [
    ...placed.workloads.flatMap((w) => {
      const o = workloadController(w, ctx);
      if (o.kind === "StatefulSet") {
        const templates: Array<{ metadata: { name: string } }> = o.spec.volumeClaimTemplates ?? [];
        return templates.flatMap((t) =>
          Array.from({ length: w.replicas }, (_, r) => claimName(o.metadata.name, t.metadata.name, true, r)),
        );
      }
      return persistentVolumeClaims(w, ctx).map((c) => String(c.metadata.name));
    }),
    ...placed.jobs.flatMap((j) => persistentVolumeClaims(j, ctx).map((c) => String(c.metadata.name))),
  ].sort();
  const jobFrom = (job: ScheduledJob, runName: string) =>
    `${ns} create job --from=${cron(job)} ${runName} --dry-run=client -o yaml`;
  return {
    kind: "kubernetes",
    unit: "pod",
    overview: [`${ns} get deployments,statefulsets,cronjobs,pods -o wide`],
    logs: (owner, previous) =>
      owner.kind === "job"
        ? `${ns} logs -l app.kubernetes.io/name=${cronJob(owner, ctx).metadata.name} --tail=100 --prefix`
        : `${ns} logs ${ref(owner)} --all-containers --tail=100${previous ? " --previous" : ""}`,
    health: (w) => `${ns} get pods -l app.kubernetes.io/name=${workloadController(w, ctx).metadata.name}`,
    restart: (w) => [`${ns} rollout restart ${ref(w)}`, `${ns} rollout status ${ref(w)} --timeout=10m`],
    exec: (w, argv) => `${ns} exec ${ref(w)} -- ${shellLine(argv)}`,
    runJobNow: (job, runName) => [
      `${ns} create job --from=${cron(job)} ${runName}`,
      `${ns} wait --for=condition=complete job/${runName} --timeout=${job.activeDeadlineSeconds}s`,
      `${ns} logs job/${runName}`,
      `${ns} delete job/${runName}`,
    ],
    // A one-off Job from the CronJob's template with another command: same image, volumes,
    // credentials and security settings as the scheduled run.
    runInJob: (job, argv, runName) => [
      `${jobFrom(job, runName)} \\\n  | kubectl patch --local -f - --type=json -o yaml -p ${shellQuote(
        JSON.stringify([{ op: "replace", path: "/spec/template/spec/containers/0/command", value: argv }]),
      )} \\\n  | kubectl apply -f -`,
      `${ns} wait --for=condition=complete job/${runName} --timeout=${job.activeDeadlineSeconds}s`,
      `${ns} logs job/${runName}`,
      `${ns} delete job/${runName}`,
    ],
    usage: `${ns} top pods --containers`,
    reach: (w, port) => {
      const p = w.ports.find((x) => x.name === port);
      const n = p?.containerPort ?? 0;
      return {
        setup: `${ns} port-forward svc/${workloadController(w, ctx).metadata.name} ${n}:${n} &`,
        url: address("127.0.0.1", n, port),
      };
    },
    volumes: claims,
    listVolumes: `${ns} get persistentvolumeclaims`,
    stop: (w) => `${ns} scale ${ref(w)} --replicas=0`,
    start: (w) => `${ns} scale ${ref(w)} --replicas=${w.replicas}`,
    placements: [...placed.workloads.map(ref), ...placed.jobs.map(cron)].sort(),
  };
}

/** The check a probe makes, as a command run inside the workload (Debian images have bash). */
export function probeCommand(p: Probe, ports: Workload["ports"]): string[] {
  const portOf = (name: string) => ports.find((x) => x.name === name)?.containerPort ?? Number(name);
  switch (p.check.type) {
    case "exec":
      return p.check.command;
    case "tcp":
      return ["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${portOf(p.check.port)} && echo open`];
    case "http":
      return [
        "bash",
        "-c",
        `exec 3<>/dev/tcp/127.0.0.1/${portOf(p.check.port)} && ` +
          `printf 'GET ${p.check.path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && cat <&3`,
      ];
  }
}
