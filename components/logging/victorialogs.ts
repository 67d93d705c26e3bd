// The searchable log store: VictoriaLogs, one process with its data on a volume, keeping
// `retention` days and at most `maxDiskUsage` bytes (the oldest days go first), its web UI
// (/select/vmui) and LogsQL API on the same port. The collector (./otelcol.ts) sends to its
// OpenTelemetry endpoint. Pure: a target-neutral workload.
import { nonRootUser } from "../workloads/security";
import { toResources } from "../workloads/resources";
import { httpProbe, type Workload } from "../workloads/model";
import type { LogStoreConfig } from "./config";
import type { LogStoreContext } from "./context";
import { VICTORIALOGS_HOST, VICTORIALOGS_PORT } from "./names";

export const VICTORIALOGS_DATA = "/vlogs";
/** Where the collector posts records (OTLP/HTTP, protobuf). */
export const VICTORIALOGS_OTLP_PATH = "/insert/opentelemetry/v1/logs";
/** LogsQL queries (newline-delimited JSON answers). */
export const VICTORIALOGS_QUERY_PATH = "/select/logsql/query";
/** The built-in web UI: RTAP's "Log Aggregation" endpoint. */
export const VICTORIALOGS_UI_PATH = "/select/vmui/";
/**
 * Fields that make a log stream: one stream per service of an environment (and per container on
 * Kubernetes, where sidecars write their own). Everything else is a field of the record.
 */
export const STREAM_FIELDS = ["service.name", "deployment.environment.name"] as const;

/** The store's command line: retention by age and by size, from the stack file. */
export function victoriaLogsArgs(store: LogStoreConfig, port = VICTORIALOGS_PORT): string[] {
  return [
    `-storageDataPath=${VICTORIALOGS_DATA}`,
    `-httpListenAddr=:${port}`,
    `-retentionPeriod=${store.retention / 86400}d`,
    `-retention.maxDiskSpaceUsageBytes=${store.maxDiskUsage}`,
    // Records stamped in the future by a skewed clock are kept for a day, not refused.
    "-futureRetention=1d",
    "-loggerFormat=json",
  ];
}

/** The VictoriaLogs workload (both targets). */
export function victoriaLogsWorkload(store: LogStoreConfig, ctx: LogStoreContext): Workload {
  return {
    kind: "workload",
    name: VICTORIALOGS_HOST,
    role: "logging",
    image: { ref: store.image, build: store.build },
    args: victoriaLogsArgs(store),
    env: {},
    secretEnv: [],
    files: [],
    secretFiles: [],
    volumes: [
      { name: "data", mountPath: VICTORIALOGS_DATA, sizeBytes: store.storage, persistent: true, readOnly: false },
    ],
    resources: toResources(store.resources),
    securityContext: nonRootUser(65534),
    stateful: true,
    replicas: 1,
    restartPolicy: ctx.restartPolicy,
    ports: [
      { name: "http", containerPort: VICTORIALOGS_PORT, protocol: "tcp", hostPort: store.hostPort, external: false },
    ],
    health: {
      liveness: httpProbe("/health", "http", 30, 5),
      readiness: httpProbe("/health", "http", 10),
      startup: httpProbe("/health", "http", 5, 60),
    },
    dependsOn: [],
    connectsTo: [],
    metrics: [{ port: "http", path: "/metrics", job: VICTORIALOGS_HOST }],
    logPolicy: ctx.logPolicy,
    logFiles: [],
    sidecars: [],
    labels: ctx.labels(VICTORIALOGS_HOST),
    annotations: {},
  };
}

/**
 * LogsQL: the last lines of one service matching the error pattern (RE2 in both the stack file
 * and LogsQL), newest first: what the runbook tells the on-call to run.
 */
export function serviceErrorsQuery(service: string, environment: string, pattern: string, since = "1h"): string {
  const svc = JSON.stringify(service);
  const env = JSON.stringify(environment);
  return `_time:${since} service.name:=${svc} deployment.environment.name:=${env} _msg:~${JSON.stringify(pattern)} | sort by (_time) desc | limit 50`;
}

/** The `curl` line that runs a LogsQL query against the store's HTTP API. */
export function logsQueryCurl(baseUrl: string, query: string): string {
  return `curl -s ${baseUrl}${VICTORIALOGS_QUERY_PATH} --data-urlencode 'query=${query.replace(/'/g, "'\\''")}'`;
}
