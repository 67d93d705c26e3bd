// Environment defaults, as data in the same shape as a stack file. They are merged under the
// stack file before validation (stacks/config/load.ts), so the schema sees one complete object
// and every default is visible here rather than scattered through code.
//
// `serviceDefaults` and `dataStoreDefaults` are merged under every service and data store. Each
// concern keeps the defaults of its own part beside its schema (components/<concern>/config.ts).
import { ENTRYPOINT_DEFAULTS } from "../../components/entrypoints/config";
import { BACKUP_DEFAULTS } from "../../components/backup/config";
import { LOGGING_DEFAULTS } from "../../components/logging/config";
import { MONITORING_DEFAULTS } from "../../components/monitoring/config";
import type { ProfileName } from "./schema";

export type RawConfig = Record<string, unknown>;

const probeTimings = {
  // C0Di3 runbook: liveness every 30s, readiness every 10s; Docker HEALTHCHECK timeout 3s.
  liveness: { period: "30s", timeout: "3s", failureThreshold: 3, initialDelay: "0s" },
  readiness: { period: "10s", timeout: "3s", failureThreshold: 3, initialDelay: "0s" },
  // start-period 40s in the runbook: 8 tries 5s apart before liveness takes over.
  startup: { period: "5s", timeout: "3s", failureThreshold: 8, initialDelay: "0s" },
};

interface EnvironmentDefaults {
  config: RawConfig;
  serviceDefaults: RawConfig;
  dataStoreDefaults: RawConfig;
  /** Merged under every entry of `jobs`: the backup image (psql, redis-cli, curl, the run wrapper). */
  jobDefaults: RawConfig;
  probeTimings: typeof probeTimings;
}

export const ENVIRONMENT_DEFAULTS: Record<ProfileName, EnvironmentDefaults> = {
  dev: {
    config: {
      target: { kind: "docker", host: "unix:///var/run/docker.sock", bindAddress: "127.0.0.1" },
      rules: { minReplicas: 1, allowHostPorts: true },
      // RTT operations guide: 10 MB per file, 5 files.
      logging: LOGGING_DEFAULTS.dev,
      backup: BACKUP_DEFAULTS.dev,
      // Every image here builds locally, so dev deploys offline: Prometheus, Alertmanager and
      // node_exporter from the Go module proxy at prod's versions (components/monitoring/versions.ts);
      // the Pushgateway and the PostgreSQL, Redis and blackbox exporters from Debian's packages (the
      // proxy does not serve them). Grafana can be had neither way here (no Debian package, the
      // proxy refuses its module): it is off in dev, on in prod (pinned upstream image).
      monitoring: MONITORING_DEFAULTS.dev,
    },
    serviceDefaults: {
      replicas: 1,
      restart: "unless-stopped",
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
      security: { readOnlyRootFilesystem: true },
    },
    dataStoreDefaults: {
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
      security: { readOnlyRootFilesystem: false },
    },
    jobDefaults: {
      image: "ops-baseline/backup:0.1.0",
      build: { context: "images/backup", dockerfile: "images/backup/Dockerfile" },
      timeout: "10m",
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
      security: { runAsUser: 999, runAsGroup: 999 },
    },
    probeTimings,
  },
  prod: {
    config: {
      target: {
        kind: "kubernetes",
        protectData: true,
        configReloaderImage: "quay.io/prometheus-operator/prometheus-config-reloader:v0.78.2",
        clusterMonitoring: {
          enabled: true,
          // Index digest as listed in a public image inventory; not verified against the registry here.
          kubeStateMetricsImage:
            "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0@sha256:639a1e2da549210adddc0391ff91e270e83f7873014aec53258462812f741e6f",
          nodeCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
          apiServerCidrs: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
        },
      },
      rules: { minReplicas: 2, allowHostPorts: false },
      logging: LOGGING_DEFAULTS.prod,
      backup: BACKUP_DEFAULTS.prod,
      monitoring: MONITORING_DEFAULTS.prod,
    },
    serviceDefaults: {
      replicas: 2,
      restart: "always",
      resources: { requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
      security: { readOnlyRootFilesystem: true },
    },
    dataStoreDefaults: {
      resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
      security: { readOnlyRootFilesystem: false },
    },
    jobDefaults: {
      image: "ghcr.io/ops-baseline/backup:0.1.0",
      timeout: "10m",
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
      security: { runAsUser: 999, runAsGroup: 999 },
    },
    probeTimings,
  },
};

/** Recursive merge: objects merge key by key, everything else (arrays too) is replaced. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(override)) {
    const out: RawConfig = { ...base };
    for (const [key, value] of Object.entries(override)) {
      out[key] = key in base ? deepMerge(base[key], value) : value;
    }
    return out;
  }
  return override === undefined ? base : override;
}

export function isPlainObject(value: unknown): value is RawConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Puts the profile's defaults under a raw stack file. Probe timings are merged under each
 * probe that the file declares; a probe the file does not declare stays absent. The target's
 * defaults follow the kind the file picks (a dev-profile stack may run on Kubernetes), and the
 * names that must differ between stacks follow the stack name: the runbook's path, the
 * namespace (`ops-baseline-<stack>`) and the node-exporter namespace (`<namespace>-node`).
 */
export function applyEnvironmentDefaults(profile: ProfileName, stack: string, file: RawConfig): RawConfig {
  const defaults = ENVIRONMENT_DEFAULTS[profile];
  const base: RawConfig = { ...defaults.config, alerts: { runbookBaseUrl: `docs/stacks/${stack}/RUNBOOK.md` } };
  // A file that picks the other target kind gets that kind's target defaults, not this one's.
  if (isPlainObject(file.target) && isPlainObject(base.target) && file.target.kind !== base.target.kind) {
    const other = Object.values(ENVIRONMENT_DEFAULTS).find(
      (d) => isPlainObject(d.config.target) && d.config.target.kind === (file.target as RawConfig).kind,
    );
    base.target = other?.config.target;
  }
  const merged = deepMerge(base, file) as RawConfig;
  if (isPlainObject(merged.target) && merged.target.kind === "kubernetes") {
    const namespace = merged.target.namespace ?? `ops-baseline-${stack}`;
    merged.target = deepMerge(
      { namespace, clusterMonitoring: { nodeNamespace: `${String(namespace)}-node` } },
      merged.target,
    );
  }
  merged.environment = stack;
  merged.profile = profile;
  withReceiverDefaults(merged, file, defaults);
  merged.services = mapEntries(merged.services, (svc) =>
    withProbeDefaults(defaults, deepMerge(statefulDefaults(defaults.serviceDefaults, svc), svc)),
  );
  merged.dataStores = mapEntries(merged.dataStores, (store) => deepMerge(defaults.dataStoreDefaults, store));
  merged.entrypoints = mapEntries(merged.entrypoints, (entry) => deepMerge(ENTRYPOINT_DEFAULTS, entry));
  merged.jobs = mapEntries(merged.jobs, (job) => deepMerge(defaults.jobDefaults, job));
  return merged;
}

/**
 * Receivers: one the file declares replaces the profile's default whole (a webhook merged over
 * the local sink would be neither), `type` defaults to webhook, and a stack without monitoring
 * needs none. A receiver neither declared nor defaulted stays absent: the loader names it.
 */
function withReceiverDefaults(merged: RawConfig, file: RawConfig, defaults: EnvironmentDefaults): void {
  const alertmanager = isPlainObject(merged.monitoring) ? merged.monitoring.alertmanager : undefined;
  if (!isPlainObject(merged.monitoring) || !isPlainObject(alertmanager)) return;
  const fileMonitoring = isPlainObject(file.monitoring) ? file.monitoring : {};
  const fileReceivers = isPlainObject(fileMonitoring.alertmanager) ? fileMonitoring.alertmanager.receivers : undefined;
  const profileMonitoring = defaults.config.monitoring as RawConfig;
  const defaultReceivers = (profileMonitoring.alertmanager as RawConfig).receivers;
  if (fileReceivers !== undefined && !isPlainObject(fileReceivers)) return;
  const receivers: RawConfig = { ...(isPlainObject(defaultReceivers) ? defaultReceivers : {}) };
  for (const [name, receiver] of Object.entries(fileReceivers ?? {})) {
    receivers[name] = isPlainObject(receiver) && !("type" in receiver) ? { type: "webhook", ...receiver } : receiver;
  }
  if (merged.monitoring.enabled === false) {
    for (const name of ["paging", "ticket", "heartbeat"]) receivers[name] ??= { type: "local" };
  }
  merged.monitoring = { ...merged.monitoring, alertmanager: { ...alertmanager, receivers } };
}

/**
 * A service with a persistent volume is stateful: one replica unless the file says more (two
 * copies of a broker or database are two unclustered instances, not a replicated one).
 */
function statefulDefaults(serviceDefaults: RawConfig, service: unknown): RawConfig {
  const volumes = isPlainObject(service) && Array.isArray(service.volumes) ? service.volumes : [];
  const stateful = volumes.some((v) => isPlainObject(v) && v.persistent !== false);
  return stateful ? { ...serviceDefaults, replicas: 1 } : serviceDefaults;
}

function withProbeDefaults(defaults: EnvironmentDefaults, service: unknown): unknown {
  if (!isPlainObject(service) || !isPlainObject(service.health)) return service;
  const health: RawConfig = { ...service.health };
  for (const kind of ["liveness", "readiness", "startup"] as const) {
    if (isPlainObject(health[kind])) health[kind] = deepMerge(defaults.probeTimings[kind], health[kind]);
  }
  return { ...service, health };
}

function mapEntries(value: unknown, fn: (entry: unknown) => unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}
