// The target-neutral description of what runs. Concerns (services, monitoring, backup, logging)
// produce these plain objects; the Docker and Kubernetes targets place them. Nothing here imports
// a provider, so a concern is written once and tested without Pulumi.
//
// Secret values never appear in these objects: a secret is referenced by its name in the stack
// file's `secrets` map and resolved by the target from Pulumi secrets.

/** Where a container image comes from. */
export interface ImageSpec {
  /** Pinned reference (tag or digest); never `latest`. On Docker with `build`, the local tag. */
  ref: string;
  /** Build from this repository on targets that build locally (Docker). */
  build?: {
    /** Directory relative to the repository root. */
    context: string;
    /** Dockerfile relative to the repository root. */
    dockerfile: string;
    args?: Record<string, string>;
  };
}

export interface PortSpec {
  name: string;
  containerPort: number;
  protocol: "tcp" | "udp";
  /** Published on the Docker host (bound to the target's bind address). */
  hostPort?: number;
  /** Reachable from outside the namespace on Kubernetes (NetworkPolicy allows any source). */
  external: boolean;
}

export type ProbeCheck =
  | { type: "http"; path: string; port: string }
  | { type: "tcp"; port: string }
  | { type: "exec"; command: string[] };

export interface Probe {
  check: ProbeCheck;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

export interface HealthChecks {
  liveness?: Probe;
  readiness?: Probe;
  startup?: Probe;
}

export interface Resources {
  cpuRequestMillicores: number;
  cpuLimitMillicores: number;
  memoryRequestBytes: number;
  memoryLimitBytes: number;
  /**
   * Node-local disk (emptyDir scratch, logs, writable layer) the container needs and may use, for
   * a container whose scratch is large (the restore drill's throwaway server); Kubernetes only.
   */
  ephemeralStorageRequestBytes?: number;
  ephemeralStorageLimitBytes?: number;
}

export interface VolumeSpec {
  /** Unique within the workload; the target prefixes it with the workload and environment. */
  name: string;
  mountPath: string;
  /** Requested size (PVC on Kubernetes; informational on Docker). */
  sizeBytes: number;
  /** Keeps data across redeploys (named volume / PVC). False: scratch space (tmpfs/emptyDir). */
  persistent: boolean;
  readOnly: boolean;
  /** Another workload's volume mounted here (e.g. a backup job reading a data volume). */
  sharedFrom?: { workload: string; volume: string };
  /**
   * A directory of the node mounted here (the Docker host's bind mount, a hostPath on Kubernetes):
   * only node agents (`placement: "every-node"`) have them on Kubernetes.
   */
  hostPath?: string;
}

export interface FileSpec {
  /** Absolute path inside the container. */
  path: string;
  content: string;
  /** Octal mode, e.g. 0o644 or 0o755. */
  mode: number;
}

/** Environment variable whose value is a secret from the stack's `secrets` map. */
export interface SecretEnv {
  name: string;
  secret: string;
}

/** A file whose content is a template with `${secret:<name>}` placeholders filled from secrets. */
export interface SecretFileSpec {
  path: string;
  template: string;
  mode: number;
}

export interface LogPolicy {
  /** Cap for one stdout/stderr log file of the container. */
  maxSizeBytes: number;
  /** How many such files are kept. */
  maxFiles: number;
}

export interface SecurityContext {
  /** Numeric user; undefined keeps the image's user (and then runAsNonRoot is still enforced). */
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  runAsNonRoot: boolean;
  readOnlyRootFilesystem: boolean;
}

/**
 * Traffic a workload sends outside the environment (a webhook receiver, a SaaS API): address
 * ranges it may reach, minus the ranges it must not (the cluster's own networks), on these ports.
 * On Kubernetes an egress NetworkPolicy rule; Docker does not filter egress.
 */
export interface ExternalEgress {
  name: string;
  cidrs: string[];
  except: string[];
  ports: number[];
}

export interface MetricsEndpoint {
  port: string;
  path: string;
  /** Job label in Prometheus; defaults to the workload name. */
  job?: string;
  /** Extra target labels (e.g. the data store an exporter watches). */
  labels?: Record<string, string>;
  /** Keep the labels the target reports (a Pushgateway relays other jobs' series). */
  honorLabels?: boolean;
}

export interface ContainerSpec {
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env: Record<string, string>;
  secretEnv: SecretEnv[];
  files: FileSpec[];
  secretFiles: SecretFileSpec[];
  volumes: VolumeSpec[];
  resources: Resources;
  securityContext: SecurityContext;
}

export type WorkloadRole = "service" | "datastore" | "monitoring" | "backup" | "logging" | "entrypoint" | "job";

/** A long-running process: a Deployment/StatefulSet on Kubernetes, a container on Docker. */
export interface Workload extends ContainerSpec {
  kind: "workload";
  name: string;
  role: WorkloadRole;
  /** Holds data that must survive: a StatefulSet with PVCs on Kubernetes. */
  stateful: boolean;
  /**
   * "every-node": a node agent, one copy beside each node's own files (its `hostPath` volumes):
   * a DaemonSet in the stack's node-agent namespace on Kubernetes (nodeAgentNamespace), one
   * container on the Docker engine. Absent: placed by `replicas`.
   */
  placement?: "every-node";
  replicas: number;
  restartPolicy: "always" | "on-failure" | "unless-stopped";
  ports: PortSpec[];
  health: HealthChecks;
  /** Started after these are healthy; network flows to them are allowed. */
  dependsOn: string[];
  /** Network flows to these are allowed without ordering the start (e.g. Prometheus scrapes). */
  connectsTo: string[];
  /** Declared destinations outside the environment (none when absent). */
  egress?: ExternalEgress[];
  metrics: MetricsEndpoint[];
  logPolicy: LogPolicy;
  /** Log files the process writes itself (rotated by the logging concern). */
  logFiles: string[];
  /** Extra containers that share the workload's volumes (e.g. logrotate beside the app). */
  sidecars: Sidecar[];
  labels: Record<string, string>;
  /** Free-form annotations that targets copy onto the pod / container labels. */
  annotations: Record<string, string>;
  /**
   * The process re-reads the files under `dirs` when `url` receives a POST (Prometheus and
   * Alertmanager): a target that can update files in place asks for a reload instead of a restart.
   */
  reload?: { url: string; dirs: string[] };
  /**
   * Directories whose files the process reads anew each time it uses them (Alertmanager's
   * receiver secret files, read at each notification): a changed file needs neither a reload nor
   * a restart, so such files are in no restart checksum.
   */
  rereads?: string[];
  /**
   * The workload talks to the Kubernetes API with its own identity (Prometheus' service
   * discovery, kube-state-metrics): rules within its namespace and cluster-wide. Ignored on Docker.
   */
  apiAccess?: { rules: AccessRule[]; clusterRules: AccessRule[] };
}

export interface AccessRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface Sidecar extends ContainerSpec {
  name: string;
  health: HealthChecks;
}

/** A scheduled task: a CronJob on Kubernetes, a container with a scheduler on Docker. */
export interface ScheduledJob extends ContainerSpec {
  kind: "job";
  name: string;
  role: WorkloadRole;
  /** Five-field cron expression, evaluated in UTC. */
  schedule: string;
  /** Seconds a single run may take before it is killed. */
  activeDeadlineSeconds: number;
  /** Retries of a failed run. */
  backoffLimit: number;
  /** Seconds after a missed schedule during which the run may still start. */
  startingDeadlineSeconds: number;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  /** Network flows to these are allowed (e.g. the database it dumps). */
  connectsTo: string[];
  /** Declared destinations outside the environment (none when absent). */
  egress?: ExternalEgress[];
  /** The job exposes metrics through this workload's endpoint (e.g. a textfile or pushgateway). */
  logPolicy: LogPolicy;
  labels: Record<string, string>;
}

/** What one concern contributes to an environment. */
export interface ConcernOutput {
  workloads: Workload[];
  jobs: ScheduledJob[];
}

/** Merges concerns in order; names must stay unique across all of them. */
export function mergeConcerns(...outputs: ConcernOutput[]): ConcernOutput {
  const merged: ConcernOutput = {
    workloads: outputs.flatMap((o) => o.workloads),
    jobs: outputs.flatMap((o) => o.jobs),
  };
  const seen = new Set<string>();
  for (const name of [...merged.workloads, ...merged.jobs].map((w) => w.name)) {
    if (seen.has(name)) {
      throw new Error(
        `two workloads are named "${name}"; rename one of them (service, data store, exporter and job names share one namespace)`,
      );
    }
    seen.add(name);
  }
  return merged;
}

/** An HTTP probe of a path on a named port, answered within 3 s, from the first second. */
export function httpProbe(path: string, port: string, periodSeconds: number, failureThreshold = 3): Probe {
  return {
    check: { type: "http", path, port },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
    initialDelaySeconds: 0,
  };
}

/**
 * The name that resolves to every pod (replica) of a workload, ready or not, on both targets: a
 * headless Service on Kubernetes, a network alias on Docker. Prometheus scrapes each replica through it.
 */
export function podsServiceName(name: string): string {
  return `${name}-pods`;
}

/**
 * The Kubernetes namespace of a stack's node agents: their hostPath mounts are admitted only by
 * the Pod Security level `privileged`, which the stack's own namespace (`restricted`) refuses.
 */
export function nodeAgentNamespace(namespace: string): string {
  return `${namespace}-agents`;
}
