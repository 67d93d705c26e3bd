// NATS with JetStream as a data store (T-OPS-01 router): the server's configuration file, its
// workload (client port, monitoring port with /healthz, a volume for the file store) and the
// checks across keys that the schema cannot make. Pure: no Pulumi import.
import type { DataStoreConfig, NatsConfig } from "./config";
import type { Workload } from "../workloads/model";

export const NATS_DATA_DIR = "/data";
export const NATS_CONFIG_PATH = "/etc/nats-ops/nats.conf";

/** nats-server's configuration: ports, connection limit, JetStream's store and its limits. */
export function renderNatsConfig(name: string, store: NatsConfig): string {
  return [
    "# Rendered by ops-baseline (components/services/nats.ts); do not edit.",
    `server_name: ${JSON.stringify(name)}`,
    `port: ${store.port}`,
    `http_port: ${store.monitoringPort}`,
    `max_connections: ${store.maxConnections}`,
    "jetstream {",
    `  store_dir: ${JSON.stringify(NATS_DATA_DIR)}`,
    `  max_file_store: ${store.jetstream.maxFileStore}`,
    `  max_memory_store: ${store.jetstream.maxMemoryStore}`,
    "}",
    // A secret template: the target fills the token from Pulumi secrets.
    ...(store.passwordSecret ? [`authorization { token: "\${secret:${store.passwordSecret}}" }`] : []),
    "",
  ].join("\n");
}

/** The NATS-specific parts of a data-store workload (the common parts come from the caller). */
export function natsWorkloadFields(
  name: string,
  store: NatsConfig,
): Pick<Workload, "command" | "args" | "env" | "secretEnv" | "files" | "secretFiles" | "volumes" | "ports" | "health"> {
  const conf = { path: NATS_CONFIG_PATH, mode: 0o444 };
  const content = renderNatsConfig(name, store);
  // /healthz answers 200 only when the server, and JetStream when enabled, is healthy.
  const healthz = {
    check: { type: "http" as const, path: "/healthz", port: "monitoring" },
    periodSeconds: 10,
    timeoutSeconds: 5,
    failureThreshold: 6,
    initialDelaySeconds: 0,
  };
  return {
    command: undefined,
    args: ["-c", NATS_CONFIG_PATH],
    env: {},
    secretEnv: [],
    files: store.passwordSecret ? [] : [{ ...conf, content }],
    secretFiles: store.passwordSecret ? [{ ...conf, template: content, mode: 0o440 }] : [],
    volumes: [{ name: "data", mountPath: NATS_DATA_DIR, sizeBytes: store.storage, persistent: true, readOnly: false }],
    ports: [
      { name: "nats", containerPort: store.port, protocol: "tcp", hostPort: store.hostPort, external: false },
      { name: "monitoring", containerPort: store.monitoringPort, protocol: "tcp", external: false },
    ],
    health: {
      liveness: { ...healthz, periodSeconds: 30 },
      readiness: healthz,
      startup: { ...healthz, periodSeconds: 5, failureThreshold: 24 },
    },
  };
}

export function natsProblems(dataStores: Record<string, DataStoreConfig>): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const [name, store] of Object.entries(dataStores)) {
    if (store.engine !== "nats") continue;
    const at = `dataStores.${name}`;
    if (store.jetstream.maxFileStore > store.storage) {
      problems.push({
        path: `${at}.jetstream.maxFileStore`,
        message: `${store.jetstream.maxFileStore} bytes does not fit in storage (${store.storage} bytes); lower it or grow storage`,
      });
    }
    if (store.jetstream.maxMemoryStore >= store.resources.limits.memory) {
      problems.push({
        path: `${at}.jetstream.maxMemoryStore`,
        message: `${store.jetstream.maxMemoryStore} bytes leaves no room under the memory limit (${store.resources.limits.memory} bytes); keep it below the limit`,
      });
    }
    if (store.port === store.monitoringPort) {
      problems.push({ path: `${at}.monitoringPort`, message: "must differ from port" });
    }
  }
  return problems;
}
