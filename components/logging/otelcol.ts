// The log collector: the project's OpenTelemetry Collector distribution (toolchain/otelcol) as a
// node agent. It tails the container log files of the node (the Docker engine's json-file logs,
// or the kubelet's /var/log/pods), gives each record its service and environment, parses JSON
// lines and levels, and sends the records to VictoriaLogs over OTLP/HTTP. A count connector turns
// the same records into Prometheus counters per service (all records, and those matching the
// stack's error pattern), which the log alerts read (./alerts.ts); the collector's own metrics
// (records sent, failed, queued) are a second endpoint. Pure: configuration text and a
// target-neutral workload.
import { toYaml } from "../alerts/rules";
import { LOG_LINE_LABELS } from "../workloads/labels";
import { toResources } from "../workloads/resources";
import { httpProbe, type Workload } from "../workloads/model";
import type { LogStoreConfig } from "./config";
import type { LogStoreContext } from "./context";
import {
  COLLECTOR_COUNTS_JOB,
  COLLECTOR_COUNTS_PORT,
  COLLECTOR_HEALTH_PORT,
  COLLECTOR_NAME,
  COLLECTOR_TELEMETRY_PORT,
  VICTORIALOGS_HOST,
  VICTORIALOGS_PORT,
} from "./names";
import { STREAM_FIELDS, VICTORIALOGS_OTLP_PATH } from "./victorialogs";

export const COLLECTOR_CONFIG = "/etc/otelcol/config.yaml";
/** Where read positions and the send queue are kept (file_storage). */
export const COLLECTOR_STATE_DIR = "/var/lib/otelcol";
/** The kubelet's pod log directory on every Kubernetes node. */
export const POD_LOG_DIR = "/var/log/pods";

export interface CollectorConfigOptions {
  environment: string;
  /** Error pattern (RE2) of the stack file (logging.store.alert.pattern). */
  errorPattern: string;
  /** Base URL of VictoriaLogs. */
  storeUrl: string;
  source:
    | { kind: "docker"; containerLogDir: string }
    | {
        kind: "kubernetes";
        /** Namespace whose pods' logs are collected. */
        namespace: string;
      };
  stateDir?: string;
  /** Ports (tests run several collectors side by side). */
  telemetryPort?: number;
  countsPort?: number;
  healthPort?: number;
  /** Where to start in files that have no saved position: `end` in deployments. */
  startAt?: "beginning" | "end";
}

type Operator = Record<string, unknown>;

/** Docker: the json-file lines of this environment's containers, service from the container's label. */
function dockerOperators(environment: string): Operator[] {
  // The labels the Docker target writes into every line (LOG_LINE_LABELS).
  const [nameLabel, environmentLabel] = LOG_LINE_LABELS;
  const attr = (label: string) => `attributes.attrs["${label}"]`;
  return [
    { type: "container", format: "docker", add_metadata_from_filepath: false },
    // Containers of other environments (or none of the stack's) on the same engine are skipped.
    { type: "filter", expr: `attributes.attrs?.["${environmentLabel}"] != ${JSON.stringify(environment)}` },
    { type: "move", from: attr(nameLabel), to: 'resource["service.name"]' },
    { type: "move", from: attr(environmentLabel), to: 'resource["deployment.environment.name"]' },
    { type: "remove", field: "attributes.attrs" },
    // The json-file driver keeps the line's newline.
    {
      type: "regex_parser",
      parse_from: "body",
      parse_to: "attributes",
      regex: "^(?s)(?P<message>.*?)\\r?\\n?$",
    },
    { type: "move", from: "attributes.message", to: "body" },
  ];
}

/** Kubernetes: the CRI lines of the stack's pods; namespace, pod and container come from the path. */
function kubernetesOperators(environment: string): Operator[] {
  return [
    { type: "container", format: "containerd", add_metadata_from_filepath: true },
    // The targets name a workload's main container after the workload (sidecars after themselves).
    { type: "copy", from: 'resource["k8s.container.name"]', to: 'resource["service.name"]' },
    { type: "add", field: 'resource["deployment.environment.name"]', value: environment },
  ];
}

/** Both targets: JSON lines become fields (RTT's logs), and every record gets a level where it names one. */
const structureOperators: Operator[] = [
  {
    type: "json_parser",
    if: 'body matches "^\\\\s*\\\\{"',
    parse_from: "body",
    parse_to: "attributes",
    on_error: "send_quiet",
  },
  {
    type: "regex_parser",
    if: "attributes.level == nil",
    parse_from: "body",
    parse_to: "attributes",
    regex: "(?i)\\b(?P<level>trace|debug|info|notice|warn|warning|error|err|critical|fatal|panic)\\b",
    on_error: "send_quiet",
  },
  { type: "severity_parser", if: "attributes.level != nil", parse_from: "attributes.level", on_error: "send_quiet" },
];

/** The collector's configuration on either target. */
export function renderCollectorConfig(o: CollectorConfigOptions): string {
  const stateDir = o.stateDir ?? COLLECTOR_STATE_DIR;
  const include =
    o.source.kind === "docker"
      ? [`${o.source.containerLogDir}/*/*-json.log`]
      : [`${POD_LOG_DIR}/${o.source.namespace}_*/*/*.log`];
  const operators = [
    ...(o.source.kind === "docker" ? dockerOperators(o.environment) : kubernetesOperators(o.environment)),
    ...structureOperators,
  ];
  return toYaml({
    extensions: {
      file_storage: { directory: stateDir, create_directory: true },
      // Liveness and readiness: the collector's own pipelines, whatever runs on the node.
      healthcheckv2: { use_v2: true, http: { endpoint: `0.0.0.0:${o.healthPort ?? COLLECTOR_HEALTH_PORT}` } },
    },
    receivers: {
      file_log: {
        include,
        start_at: o.startAt ?? "end",
        // Read positions survive a restart: lines are neither lost nor sent twice.
        storage: "file_storage",
        include_file_name: false,
        // The container parser takes namespace, pod and container from the file's path, which it
        // reads from this attribute: without it the records carry none of them (and no service).
        include_file_path: o.source.kind === "kubernetes",
        operators,
      },
    },
    processors: {
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      batch: { timeout: "1s", send_batch_size: 1024 },
    },
    connectors: {
      count: {
        logs: {
          ops_baseline_log_records: { description: "Log records collected, by service." },
          ops_baseline_log_error_records: {
            description: "Log records matching the stack's error pattern, by service.",
            conditions: [`IsMatch(body, ${JSON.stringify(o.errorPattern)})`],
          },
        },
      },
    },
    exporters: {
      otlp_http: {
        logs_endpoint: `${o.storeUrl}${VICTORIALOGS_OTLP_PATH}`,
        headers: { "VL-Stream-Fields": STREAM_FIELDS.join(",") },
        // While the store is down, records wait on disk (bounded) and are retried; a full queue
        // refuses new records, which the collector counts (LogCollectorQueueFull).
        retry_on_failure: { enabled: true, max_elapsed_time: 0 },
        sending_queue: { enabled: true, storage: "file_storage", queue_size: 5000 },
      },
      prometheus: {
        endpoint: `0.0.0.0:${o.countsPort ?? COLLECTOR_COUNTS_PORT}`,
        without_scope_info: true,
        resource_constant_labels: { included: ["service.name"] },
        // A quiet service's counter stays (at its last value) instead of vanishing after 5 minutes.
        metric_expiration: "6h",
      },
    },
    service: {
      extensions: ["file_storage", "healthcheckv2"],
      telemetry: {
        logs: { encoding: "json" },
        metrics: {
          readers: [
            {
              pull: {
                exporter: {
                  prometheus: { host: "0.0.0.0", port: o.telemetryPort ?? COLLECTOR_TELEMETRY_PORT },
                },
              },
            },
          ],
        },
      },
      pipelines: {
        logs: { receivers: ["file_log"], processors: ["memory_limiter", "batch"], exporters: ["otlp_http", "count"] },
        "metrics/counts": { receivers: ["count"], exporters: ["prometheus"] },
      },
    },
  });
}

/**
 * The collector as a node agent. Kubernetes: non-root (uid 10001) in group 0, which reads the
 * kubelet's 0640 root:root pod logs, with only /var/log/pods mounted read-only and its state in
 * the pod's scratch volume. Docker: the engine keeps container logs in a directory only root may
 * list (0710), so the collector runs as root there, every capability dropped and its root
 * filesystem read-only, with the log directory mounted read-only and its state on a volume.
 */
export function collectorWorkload(store: LogStoreConfig, ctx: LogStoreContext): Workload {
  const docker = ctx.targetKind === "docker";
  const logDir = docker ? (ctx.containerLogDir ?? "/var/lib/docker/containers") : POD_LOG_DIR;
  const config = renderCollectorConfig({
    environment: ctx.environment,
    errorPattern: store.alert.pattern,
    // On Kubernetes the collector runs in the agents' namespace: the store's short name would not
    // resolve there.
    storeUrl: `http://${docker ? VICTORIALOGS_HOST : `${VICTORIALOGS_HOST}.${ctx.namespace}.svc`}:${VICTORIALOGS_PORT}`,
    source: docker ? { kind: "docker", containerLogDir: logDir } : { kind: "kubernetes", namespace: ctx.namespace! },
  });
  return {
    kind: "workload",
    name: COLLECTOR_NAME,
    role: "logging",
    placement: "every-node",
    image: { ref: store.collector.image, build: store.collector.build },
    args: [`--config=${COLLECTOR_CONFIG}`],
    env: {},
    secretEnv: [],
    files: [{ path: COLLECTOR_CONFIG, content: config, mode: 0o444 }],
    secretFiles: [],
    volumes: [
      { name: "logs", mountPath: logDir, sizeBytes: 0, persistent: false, readOnly: true, hostPath: logDir },
      {
        name: "state",
        mountPath: COLLECTOR_STATE_DIR,
        sizeBytes: 256 * 1024 ** 2,
        persistent: docker,
        readOnly: false,
      },
    ],
    resources: toResources(store.collector.resources),
    securityContext: docker
      ? { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, readOnlyRootFilesystem: true }
      : { runAsUser: 10001, runAsGroup: 0, runAsNonRoot: true, readOnlyRootFilesystem: true },
    stateful: false,
    replicas: 1,
    restartPolicy: ctx.restartPolicy,
    ports: [
      { name: "telemetry", containerPort: COLLECTOR_TELEMETRY_PORT, protocol: "tcp", external: false },
      { name: "counts", containerPort: COLLECTOR_COUNTS_PORT, protocol: "tcp", external: false },
      { name: "health", containerPort: COLLECTOR_HEALTH_PORT, protocol: "tcp", external: false },
    ],
    health: {
      liveness: httpProbe("/status", "health", 30, 5),
      readiness: httpProbe("/status", "health", 10),
    },
    dependsOn: [VICTORIALOGS_HOST],
    connectsTo: [],
    metrics: [
      { port: "telemetry", path: "/metrics", job: COLLECTOR_NAME },
      { port: "counts", path: "/metrics", job: COLLECTOR_COUNTS_JOB },
    ],
    logPolicy: ctx.logPolicy,
    logFiles: [],
    sidecars: [],
    labels: ctx.labels(COLLECTOR_NAME),
    annotations: {},
  };
}
