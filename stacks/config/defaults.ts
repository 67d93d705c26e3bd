// Environment defaults, as data in the same shape as a stack file. They are merged under the
// stack file before validation (stacks/config/load.ts), so the schema sees one complete object
// and every default is visible here rather than scattered through code.
//
// `serviceDefaults` and `dataStoreDefaults` are merged under every service and data store.
import { ENTRYPOINT_DEFAULTS } from "../../components/entrypoints/config";
import { goBinaryImage, UPSTREAM_IMAGES, VERSIONS } from "../../components/monitoring/versions";
import type { ProfileName } from "./schema";

export type RawConfig = Record<string, unknown>;

const probeTimings = {
  // C0Di3 runbook: liveness every 30s, readiness every 10s; Docker HEALTHCHECK timeout 3s.
  liveness: { period: "30s", timeout: "3s", failureThreshold: 3, initialDelay: "0s" },
  readiness: { period: "10s", timeout: "3s", failureThreshold: 3, initialDelay: "0s" },
  // start-period 40s in the runbook: 8 tries 5s apart before liveness takes over.
  startup: { period: "5s", timeout: "3s", failureThreshold: 8, initialDelay: "0s" },
};

/** Log-pattern alert of the log store: a crash or fatal line in any service opens a ticket. */
const logAlert = { pattern: "(?i)(panic|fatal|out of memory)", window: "5m" };

const exporterResources = { requests: { cpu: "20m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } };

/** An image built from one of Debian's Prometheus packages (images/debian-package). */
function debianPackageImage(image: string, pkg: string, dataDir?: string) {
  return {
    image,
    build: {
      context: "images/debian-package",
      dockerfile: "images/debian-package/Dockerfile",
      args: dataDir ? { PACKAGE: pkg, DATA_DIR: dataDir } : { PACKAGE: pkg },
    },
  };
}

function debianExporter(name: string, version: string) {
  return {
    enabled: true,
    ...debianPackageImage(`ops-baseline/${name}:${version}-bookworm`, `prometheus-${name}`),
    resources: exporterResources,
  };
}

function upstreamExporter(image: string) {
  return { enabled: true, image, resources: exporterResources };
}

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
      logging: {
        containerLogs: { driver: "json-file", maxSize: "10MB", maxFiles: 5 },
        // RTAP runbook: daily, 7 kept, compressed; RTT: rotate at 10 MB.
        files: {
          image: "ops-baseline/logrotate:3.21-bookworm",
          build: { context: "images/logrotate", dockerfile: "images/logrotate/Dockerfile" },
          frequency: "daily",
          maxSize: "10MB",
          rotate: 7,
          compress: true,
          copytruncate: false,
          checkEverySeconds: 300,
          resources: { requests: { cpu: "10m", memory: "8Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
        },
        // RTAP runbook: log aggregation on 3100, 7 days kept in dev.
        store: {
          enabled: true,
          ...goBinaryImage("loki", VERSIONS.loki, "loki", "/loki", 10001),
          resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
          storage: "2Gi",
          hostPort: 3100,
          retention: "7d",
          collector: {
            ...goBinaryImage("promtail", VERSIONS.loki, "promtail"),
            resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
          },
          alert: logAlert,
        },
      },
      backup: {
        image: "ops-baseline/backup:0.1.0",
        build: { context: "images/backup", dockerfile: "images/backup/Dockerfile" },
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
        schedule: "30 2 * * *",
        retention: { keepLast: 3, keepDaily: 7, keepWeekly: 0, keepMonthly: 0 },
        storage: "5Gi",
        staleAfter: "26h",
        timeout: "1h",
        restoreDrill: { enabled: true, schedule: "0 4 * * 0", staleAfter: "192h" },
        // dev keeps its pgBackRest repository on a local volume; prod names an S3 bucket.
        pitr: {
          repository: { type: "volume", storage: "5Gi" },
          cipherPassSecret: "pgbackrestCipherPass",
          archiveTimeout: "60s",
          fullSchedule: "15 2 * * 0",
          diffSchedule: "15 2 * * 1-6",
          retention: { full: 2, fullType: "count", diff: 6 },
          drillStorage: "4Gi",
        },
        // Volumes with restic: a repository on the backup volume, every pack read back by check.
        restic: {
          passwordSecret: "resticPassword",
          retention: { keepLast: 3, keepDaily: 7, keepWeekly: 0, keepMonthly: 0 },
          checkSubset: "100%",
        },
      },
      // Every image here builds locally, so dev deploys offline: Prometheus, Alertmanager and
      // node_exporter from the Go module proxy at prod's versions (components/monitoring/versions.ts);
      // the Pushgateway and the PostgreSQL, Redis and blackbox exporters from Debian's packages (the
      // proxy does not serve them). Grafana can be had neither way here (no Debian package, the
      // proxy refuses its module): it is off in dev, on in prod (pinned upstream image).
      monitoring: {
        enabled: true,
        // Worst case from a dead service to the page: 11 s until the fault is in the TSDB (a
        // stopped container leaves Docker's DNS, and Prometheus writes the staleness marker of a
        // dropped target 2.1 scrape intervals after its last scrape; a failing scrape would show
        // after 5 s + the 3 s timeout) + 5 s evaluation + 30 s `for` + 10 s group wait = 56 s,
        // inside the 60 s the runbooks ask for; measured on the Docker rung
        // (test/docker/dev-stack.real.test.ts). With a 10 s interval the dropped-target path alone
        // takes 21 s and the page 66 s (measured 63 s).
        scrapeInterval: "5s",
        scrapeTimeout: "3s",
        evaluationInterval: "5s",
        prometheus: {
          ...goBinaryImage("prometheus", VERSIONS.prometheus, "prometheus", "/prometheus"),
          // RAVE safe-mode envelope: Prometheus 256 MB.
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          retentionTime: "7d",
          retentionSize: "1GiB",
          storage: "2Gi",
          hostPort: 9090,
        },
        alertmanager: {
          ...goBinaryImage("alertmanager", VERSIONS.alertmanager, "alertmanager", "/alertmanager"),
          resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
          storage: "256Mi",
          hostPort: 9093,
          groupWait: "10s",
          groupInterval: "1m",
          repeatInterval: "4h",
          receivers: { paging: { type: "webhook" }, ticket: { type: "webhook" }, heartbeat: { type: "webhook" } },
          // Any public address on HTTPS; never the private ranges the cluster and its metadata
          // service live in (RFC 1918, link-local).
          receiverEgress: {
            cidrs: ["0.0.0.0/0"],
            except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
            ports: [443],
          },
        },
        pushgateway: {
          ...debianPackageImage("ops-baseline/pushgateway:1.4-bookworm", "prometheus-pushgateway", "/data"),
          resources: { requests: { cpu: "20m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
          storage: "128Mi",
        },
        grafana: {
          enabled: false,
          image: UPSTREAM_IMAGES.grafana,
          // RAVE safe-mode envelope: Grafana 128 MB.
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
          adminPasswordSecret: "grafanaAdminPassword",
          storage: "512Mi",
          hostPort: 3001,
        },
        exporters: {
          node: {
            enabled: true,
            ...goBinaryImage("node-exporter", VERSIONS.nodeExporter, "node_exporter"),
            resources: exporterResources,
          },
          postgres: debianExporter("postgres-exporter", "0.11"),
          redis: debianExporter("redis-exporter", "1.45"),
          blackbox: debianExporter("blackbox-exporter", "0.23"),
          // A stand-in with prometheus-nats-exporter's metric names (toolchain/nats-exporter.sh):
          // the real exporter is neither on the Go module proxy nor in Debian.
          nats: {
            enabled: true,
            ...goBinaryImage("nats-varz-exporter", "0.1.0", "nats-varz-exporter"),
            resources: exporterResources,
          },
        },
      },
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
      logging: {
        containerLogs: { driver: "json-file", maxSize: "10MB", maxFiles: 5 },
        files: {
          image: "ghcr.io/ops-baseline/logrotate:3.21-bookworm",
          frequency: "daily",
          maxSize: "10MB",
          rotate: 30,
          compress: true,
          copytruncate: false,
          checkEverySeconds: 300,
          resources: { requests: { cpu: "10m", memory: "8Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
        },
        // RTAP runbook: 30 days kept in prod.
        store: {
          enabled: true,
          image: UPSTREAM_IMAGES.loki,
          resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
          storage: "50Gi",
          retention: "30d",
          collector: {
            // The project's image of the same build (images/go-binary, stage promtail-<version>):
            // upstream stopped publishing Promtail images with Loki 3.6.
            image: `ghcr.io/ops-baseline/promtail:${VERSIONS.loki}`,
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
          },
          alert: logAlert,
        },
      },
      backup: {
        image: "ghcr.io/ops-baseline/backup:0.1.0",
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } },
        schedule: "30 2 * * *",
        // C0Di3 runbook: daily dumps kept 30 days; plus weeks and months.
        retention: { keepLast: 7, keepDaily: 30, keepWeekly: 8, keepMonthly: 12 },
        storage: "100Gi",
        staleAfter: "26h",
        timeout: "2h",
        restoreDrill: { enabled: true, schedule: "0 4 * * 0", staleAfter: "192h" },
        // The repository (an S3 bucket outside the cluster) is named in Pulumi.prod.yaml.
        pitr: {
          cipherPassSecret: "pgbackrestCipherPass",
          archiveTimeout: "60s",
          fullSchedule: "15 1 * * 0",
          diffSchedule: "15 1 * * 1-6",
          // Four weekly full backups, i.e. about 30 days of point-in-time recovery (C0Di3: 30 days).
          retention: { full: 4, fullType: "count", diff: 6 },
          drillStorage: "200Gi",
        },
        // Volumes with restic, in the pgBackRest bucket; RTAP: application logs kept 30 days.
        // check reads a tenth of the packs back each night (all of them within about a month).
        restic: {
          passwordSecret: "resticPassword",
          retention: { keepLast: 7, keepDaily: 30, keepWeekly: 0, keepMonthly: 0 },
          checkSubset: "10%",
        },
      },
      monitoring: {
        enabled: true,
        // RAVE runbook: 30 s scrape and evaluation intervals.
        scrapeInterval: "30s",
        scrapeTimeout: "10s",
        evaluationInterval: "30s",
        prometheus: {
          image: UPSTREAM_IMAGES.prometheus,
          resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
          retentionTime: "30d",
          retentionSize: "45GiB",
          storage: "50Gi",
        },
        alertmanager: {
          image: UPSTREAM_IMAGES.alertmanager,
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
          storage: "1Gi",
          groupWait: "30s",
          groupInterval: "5m",
          repeatInterval: "4h",
          receivers: { paging: { type: "webhook" }, ticket: { type: "webhook" }, heartbeat: { type: "webhook" } },
          // Any public address on HTTPS; never the private ranges the cluster and its metadata
          // service live in (RFC 1918, link-local).
          receiverEgress: {
            cidrs: ["0.0.0.0/0"],
            except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
            ports: [443],
          },
        },
        pushgateway: {
          image: "quay.io/prometheus/pushgateway:v1.9.0",
          resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
          storage: "1Gi",
        },
        grafana: {
          enabled: true,
          image: UPSTREAM_IMAGES.grafana,
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
          adminPasswordSecret: "grafanaAdminPassword",
          storage: "2Gi",
        },
        exporters: {
          node: upstreamExporter(UPSTREAM_IMAGES.nodeExporter),
          postgres: upstreamExporter("quay.io/prometheuscommunity/postgres-exporter:v0.15.0"),
          redis: upstreamExporter("docker.io/oliver006/redis_exporter:v1.62.0"),
          blackbox: upstreamExporter("quay.io/prometheus/blackbox-exporter:v0.25.0"),
          nats: upstreamExporter("docker.io/natsio/prometheus-nats-exporter:0.17.3"),
        },
      },
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
  merged.services = mapEntries(merged.services, (svc) =>
    withProbeDefaults(defaults, deepMerge(defaults.serviceDefaults, svc)),
  );
  merged.dataStores = mapEntries(merged.dataStores, (store) => deepMerge(defaults.dataStoreDefaults, store));
  merged.entrypoints = mapEntries(merged.entrypoints, (entry) => deepMerge(ENTRYPOINT_DEFAULTS, entry));
  merged.jobs = mapEntries(merged.jobs, (job) => deepMerge(defaults.jobDefaults, job));
  return merged;
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
