// The searchable log store: Loki (single binary, filesystem storage, retention enforced by its
// compactor, a ruler that sends log-pattern alerts to Alertmanager) and Promtail collecting every
// container's stdout/stderr with the `service` and `environment` labels. Pure: configuration text
// and target-neutral workloads; the Kubernetes collector lives in ./collector-kubernetes.ts.
//
// Promtail is the collector because it is the one built from the same Loki module (v3.7 still
// carries its library; toolchain/observability/promtail/main.go is its command), so dev and prod
// run the same code as the store; Grafana Alloy, its successor, is not served by the Go module
// proxy here.
import type { LogStoreInput } from "./config";
import { toYaml } from "../alerts/rules";
import { standardLabels } from "../workloads/labels";
import { nonRootUser } from "../workloads/security";
import { containerLogPolicy, toResources } from "../workloads/resources";
import type { K8sObject } from "../targets/kubernetes/objects";
import { httpProbe, type ConcernOutput, type Workload } from "../workloads/model";
import { kubernetesCollectorObjects } from "./collector-kubernetes";
import type { LogStoreConfig } from "./config";

import { LOKI_HOST, LOKI_PORT, PROMTAIL_CONFIG, PROMTAIL_PORT, renderPromtailDockerConfig } from "./promtail";

export { LOKI_HOST, LOKI_PORT, PROMTAIL_CONFIG, PROMTAIL_PORT };
export { renderPromtailDockerConfig, renderPromtailKubernetesConfig } from "./promtail";
export const LOKI_CONFIG = "/etc/loki/loki.yml";
/** Tenant "fake": the ruler's directory for the single tenant when auth is off. */
export const LOKI_RULES_DIR = "/etc/loki/rules";
export const LOKI_RULE_FILE = `${LOKI_RULES_DIR}/fake/ops-baseline.yml`;
/** Labels every log stream carries, from the container's own labels. */
export const LOG_LABELS = ["environment", "service"] as const;

export interface LokiConfigOptions {
  retentionSeconds: number;
  /** Where Loki keeps chunks, index and compactor state. */
  dataDir: string;
  rulesDir: string;
  alertmanagerUrl: string;
  httpPort?: number;
  grpcPort?: number;
  /** How often the ruler evaluates (1m in deployments; shorter in the real test). */
  ruleEvaluationInterval?: string;
  /** How often the compactor runs and applies retention. */
  compactionInterval?: string;
}

/** Loki's configuration: one process, filesystem storage, retention applied by the compactor. */
export function renderLokiConfig(o: LokiConfigOptions): string {
  const retention = `${o.retentionSeconds / 3600}h`;
  return toYaml({
    analytics: { reporting_enabled: false },
    auth_enabled: false,
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: o.dataDir,
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
      storage: { filesystem: { chunks_directory: `${o.dataDir}/chunks`, rules_directory: `${o.dataDir}/rules` } },
    },
    compactor: {
      compaction_interval: o.compactionInterval ?? "10m",
      delete_request_store: "filesystem",
      retention_delete_delay: "2h",
      retention_enabled: true,
      working_directory: `${o.dataDir}/compactor`,
    },
    limits_config: {
      // Lines older than the retention would be deleted at once; refuse them at the door.
      reject_old_samples: true,
      reject_old_samples_max_age: retention,
      retention_period: retention,
    },
    ruler: {
      alertmanager_url: o.alertmanagerUrl,
      enable_api: true,
      evaluation_interval: o.ruleEvaluationInterval ?? "1m",
      ring: { kvstore: { store: "inmemory" } },
      rule_path: `${o.dataDir}/ruler-scratch`,
      storage: { local: { directory: o.rulesDir }, type: "local" },
    },
    schema_config: {
      configs: [
        {
          from: "2024-01-01",
          index: { period: "24h", prefix: "index_" },
          object_store: "filesystem",
          schema: "v13",
          store: "tsdb",
        },
      ],
    },
    server: { grpc_listen_port: o.grpcPort ?? 9095, http_listen_port: o.httpPort ?? LOKI_PORT, log_level: "info" },
  });
}

/** LogQL selector of the lines the log-pattern alert counts. */
export function logPatternQuery(environment: string, pattern: string, windowSeconds: number): string {
  const re = JSON.stringify(pattern);
  return `sum by (environment, service) (count_over_time({environment="${environment}"} |~ ${re} [${windowSeconds}s])) > 0`;
}

/** The ruler's rule file: log-pattern alerts, labelled like the Prometheus alerts. */
export function renderLokiRules(environment: string, alert: LogStoreConfig["alert"]): string {
  return toYaml({
    groups: [
      {
        name: "ops-baseline-logs",
        rules: [
          {
            alert: "ServiceLogErrorPattern",
            expr: logPatternQuery(environment, alert.pattern, alert.window),
            labels: { severity: "ticket", environment },
            annotations: {
              summary: "{{ $labels.service }} logged a line matching the error pattern",
              description: `Lines of {{ $labels.service }} matched ${JSON.stringify(alert.pattern)} in the last ${alert.window}s (query Loki: {service="{{ $labels.service }}"}).`,
              runbook_url: "docs/LOGGING.md#serviceLogErrorPattern",
            },
          },
        ],
      },
    ],
  });
}

export interface LogStoreContext {
  environment: string;
  targetKind: "docker" | "kubernetes";
  /** Docker: the engine's socket the collector reads (unix://...). */
  dockerHost?: string;
  restartPolicy: Workload["restartPolicy"];
  logPolicy: Workload["logPolicy"];
  labels: (name: string) => Record<string, string>;
}

/** The Loki workload (both targets). */
export function lokiWorkload(store: LogStoreConfig, ctx: LogStoreContext, alertmanager: string): Workload {
  const files = [
    {
      path: LOKI_CONFIG,
      content: renderLokiConfig({
        retentionSeconds: store.retention,
        dataDir: "/loki",
        rulesDir: LOKI_RULES_DIR,
        alertmanagerUrl: `http://${alertmanager}`,
      }),
      mode: 0o444,
    },
    { path: LOKI_RULE_FILE, content: renderLokiRules(ctx.environment, store.alert), mode: 0o444 },
  ];
  return {
    kind: "workload",
    name: LOKI_HOST,
    role: "logging",
    image: { ref: store.image, build: store.build },
    args: [`-config.file=${LOKI_CONFIG}`],
    env: {},
    secretEnv: [],
    files,
    secretFiles: [],
    volumes: [{ name: "data", mountPath: "/loki", sizeBytes: store.storage, persistent: true, readOnly: false }],
    resources: toResources(store.resources),
    securityContext: nonRootUser(10001),
    stateful: true,
    replicas: 1,
    restartPolicy: ctx.restartPolicy,
    ports: [{ name: "http", containerPort: LOKI_PORT, protocol: "tcp", hostPort: store.hostPort, external: false }],
    health: {
      liveness: httpProbe("/ready", "http", 30, 5),
      readiness: httpProbe("/ready", "http", 10),
      startup: httpProbe("/ready", "http", 5, 24),
    },
    dependsOn: [],
    connectsTo: ["alertmanager"],
    metrics: [{ port: "http", path: "/metrics", job: "loki" }],
    logPolicy: ctx.logPolicy,
    logFiles: [],
    sidecars: [],
    labels: ctx.labels(LOKI_HOST),
    annotations: {},
  };
}

/** The collector as a workload on Docker: reads the engine's API through its socket. */
export function promtailDockerWorkload(store: LogStoreConfig, ctx: LogStoreContext): Workload {
  const socket = (ctx.dockerHost ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "");
  return {
    kind: "workload",
    name: "promtail",
    role: "logging",
    image: { ref: store.collector.image, build: store.collector.build },
    args: [`-config.file=${PROMTAIL_CONFIG}`],
    env: {},
    secretEnv: [],
    files: [
      {
        path: PROMTAIL_CONFIG,
        content: renderPromtailDockerConfig({
          environment: ctx.environment,
          dockerHost: "unix:///var/run/docker.sock",
          lokiUrl: `http://${LOKI_HOST}:${LOKI_PORT}`,
          positionsFile: "/positions/positions.yaml",
        }),
        mode: 0o444,
      },
    ],
    secretFiles: [],
    volumes: [
      // Where the collector has read up to, so a restart neither loses nor repeats lines.
      { name: "positions", mountPath: "/positions", sizeBytes: 16 * 1024 ** 2, persistent: true, readOnly: false },
      // The Docker API: container labels and logs. Read access to it is root-equivalent.
      {
        name: "docker-socket",
        mountPath: "/var/run/docker.sock",
        sizeBytes: 0,
        persistent: false,
        readOnly: true,
        hostPath: socket,
      },
    ],
    resources: toResources(store.collector.resources),
    // The socket belongs to root; every capability is still dropped and the root is read-only.
    securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, readOnlyRootFilesystem: true },
    stateful: false,
    replicas: 1,
    restartPolicy: ctx.restartPolicy,
    ports: [{ name: "http", containerPort: PROMTAIL_PORT, protocol: "tcp", external: false }],
    health: {
      liveness: httpProbe("/ready", "http", 30, 5),
      readiness: httpProbe("/ready", "http", 10),
    },
    dependsOn: [LOKI_HOST],
    connectsTo: [],
    metrics: [{ port: "http", path: "/metrics", job: "promtail" }],
    logPolicy: ctx.logPolicy,
    logFiles: [],
    sidecars: [],
    labels: ctx.labels("promtail"),
    annotations: {},
  };
}

/** Context of a stack for the log store. */
export function logStoreContext(config: LogStoreInput): LogStoreContext {
  return {
    environment: config.environment,
    targetKind: config.target.kind,
    dockerHost: config.target.kind === "docker" ? config.target.host : undefined,
    restartPolicy: config.profile === "dev" ? "unless-stopped" : "always",
    logPolicy: containerLogPolicy(config),
    labels: (name) => standardLabels(config, name, "logging"),
  };
}

export interface LogStoreOutput extends ConcernOutput {
  /** API objects the Kubernetes target registers as they are (the collector DaemonSet). */
  kubernetesObjects: K8sObject[];
}

/** Loki and its collector for a stack; nothing when the store is disabled. */
export function logStoreConcern(config: LogStoreInput): LogStoreOutput {
  const store = config.logging.store;
  if (!store.enabled) return { workloads: [], jobs: [], kubernetesObjects: [] };
  const ctx = logStoreContext(config);
  const loki = lokiWorkload(store, ctx, "alertmanager:9093");
  if (config.target.kind === "docker") {
    return { workloads: [loki, promtailDockerWorkload(store, ctx)], jobs: [], kubernetesObjects: [] };
  }
  const kubernetesObjects = kubernetesCollectorObjects(store, {
    namespace: config.target.namespace,
    environment: config.environment,
    commonLabels: { "app.kubernetes.io/part-of": "ops-baseline", "ops-baseline/environment": config.environment },
  });
  return { workloads: [loki], jobs: [], kubernetesObjects };
}
