// The exporters: node-exporter, one per data store (PostgreSQL, Redis, NATS), the blackbox
// exporter that probes services and entry points, and kube-state-metrics on a watched cluster.
import type { MonitoringInput } from "./config";
import type { DataStoreConfig, NatsConfig, PostgresConfig, RedisConfig } from "../services/config";
import { tlsProbeEgress, type TlsProbe } from "../entrypoints/concern";
import { httpProbe, type SecretEnv, type Workload } from "../workloads/model";
import type { ExporterConfig } from "./config";
import { BLACKBOX_HOST, natsHealthTargets, renderBlackboxConfig } from "./prometheus";
import { monitoringWorkload, type WatchedCluster } from "./workload";

export const NATS_EXPORTER_PORT = 7777;

function exporter(
  config: MonitoringInput,
  name: string,
  e: ExporterConfig,
  port: number,
  extra: Partial<Workload> & { metricsLabels?: Record<string, string> } = {},
): Workload {
  const { metricsLabels, ...fields } = extra;
  return monitoringWorkload(config, name, e, {
    ports: [{ name: "metrics", containerPort: port, protocol: "tcp", external: false }],
    // The landing page, not /metrics: scraping an exporter queries its database, and a slow or
    // down database must show as pg_up/redis_up == 0, not as an exporter restarted by its probe.
    health: {
      liveness: httpProbe("/", "metrics", 30),
      readiness: httpProbe("/", "metrics", 10),
    },
    metrics: [{ port: "metrics", path: "/metrics", labels: metricsLabels }],
    ...fields,
  });
}

export function nodeExporter(config: MonitoringInput): Workload {
  return exporter(config, "node-exporter", config.monitoring.exporters.node, 9100, {
    args: ["--web.listen-address=:9100"],
    metrics: [{ port: "metrics", path: "/metrics", job: "node" }],
  });
}

export function postgresExporter(config: MonitoringInput, name: string, store: PostgresConfig): Workload {
  return exporter(config, `${name}-exporter`, config.monitoring.exporters.postgres, 9187, {
    args: ["--web.listen-address=:9187"],
    env: {
      DATA_SOURCE_URI: `${name}:${store.port}/${store.database}?sslmode=disable`,
      // The monitoring role (pg_monitor) when the store has one, else the owner.
      DATA_SOURCE_USER: store.roles.monitor?.name ?? store.user,
    },
    secretEnv: [{ name: "DATA_SOURCE_PASS", secret: store.roles.monitor?.passwordSecret ?? store.passwordSecret }],
    connectsTo: [name],
    metricsLabels: { datastore: name },
  });
}

export function natsExporter(config: MonitoringInput, name: string, store: NatsConfig): Workload {
  return exporter(config, `${name}-exporter`, config.monitoring.exporters.nats, NATS_EXPORTER_PORT, {
    args: ["-varz", "-p", String(NATS_EXPORTER_PORT), `http://${name}:${store.monitoringPort}`],
    connectsTo: [name],
    metricsLabels: { datastore: name },
    // A TCP check: the stand-in and the upstream exporter differ in what they serve on "/".
    health: {
      liveness: { ...httpProbe("/", "metrics", 30), check: { type: "tcp", port: "metrics" } },
      readiness: { ...httpProbe("/", "metrics", 10), check: { type: "tcp", port: "metrics" } },
    },
  });
}

export function redisExporter(config: MonitoringInput, name: string, store: RedisConfig): Workload {
  const secretEnv: SecretEnv[] = store.passwordSecret ? [{ name: "REDIS_PASSWORD", secret: store.passwordSecret }] : [];
  return exporter(config, `${name}-exporter`, config.monitoring.exporters.redis, 9121, {
    args: ["-web.listen-address=:9121"],
    env: { REDIS_ADDR: `redis://${name}:${store.port}` },
    secretEnv,
    connectsTo: [name],
    metricsLabels: { datastore: name },
  });
}

/** The exporter setting of each data store engine. */
const ENGINE_EXPORTER = { postgresql: "postgres", redis: "redis", nats: "nats" } as const;

/**
 * The data stores the stack declares whose engine's exporter is enabled, in name order: each gets
 * an exporter, and only their engines get alerts (the alert context reads this too).
 */
export function watchedDataStores(config: MonitoringInput): Array<[string, DataStoreConfig]> {
  const e = config.monitoring.exporters;
  return Object.entries(config.dataStores)
    .filter(([, store]) => e[ENGINE_EXPORTER[store.engine]].enabled)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** One exporter per data store whose engine's exporter is enabled, in the stores' name order. */
export function dataStoreExporters(config: MonitoringInput): Workload[] {
  return watchedDataStores(config).map(([name, store]) => {
    if (store.engine === "postgresql") return postgresExporter(config, name, store);
    if (store.engine === "nats") return natsExporter(config, name, store);
    return redisExporter(config, name, store);
  });
}

/**
 * Probes the services and entry points (`others`) over HTTP, the entry points' TLS endpoints, and
 * each NATS store's /healthz on its monitoring port (connectsTo: the NetworkPolicies let it in).
 */
export function blackboxExporter(config: MonitoringInput, others: Workload[], tls: TlsProbe[]): Workload {
  const entrypointEgress = tlsProbeEgress(config);
  const probed = others.filter((w) => w.role === "service" || w.role === "entrypoint");
  const nats = natsHealthTargets(config).map((t) => t.store);
  return exporter(config, BLACKBOX_HOST, config.monitoring.exporters.blackbox, 9115, {
    args: ["--config.file=/etc/blackbox/blackbox.yml", "--web.listen-address=:9115"],
    files: [{ path: "/etc/blackbox/blackbox.yml", content: renderBlackboxConfig(tls), mode: 0o444 }],
    connectsTo: [...new Set([...probed.map((s) => s.name), ...nats])].sort(),
    metrics: [{ port: "metrics", path: "/metrics", job: "blackbox-exporter" }],
    ...(entrypointEgress.length > 0 ? { egress: entrypointEgress } : {}),
  });
}

export function kubeStateMetrics(config: MonitoringInput, cluster: WatchedCluster): Workload {
  return monitoringWorkload(
    config,
    "kube-state-metrics",
    { image: cluster.kubeStateMetricsImage, resources: config.monitoring.exporters.node.resources },
    {
      ports: [{ name: "http", containerPort: 8080, protocol: "tcp", external: false }],
      args: [
        "--port=8080",
        "--telemetry-port=8081",
        `--namespaces=${cluster.namespace}`,
        "--resources=cronjobs,daemonsets,deployments,jobs,persistentvolumeclaims,pods,statefulsets",
      ],
      health: {
        liveness: httpProbe("/healthz", "http", 30),
        readiness: httpProbe("/healthz", "http", 10),
      },
      metrics: [{ port: "http", path: "/metrics", job: "kube-state-metrics" }],
      // Lists and watches only the objects of the stack's namespace it reports.
      apiAccess: {
        rules: [
          { apiGroups: [""], resources: ["persistentvolumeclaims", "pods"], verbs: ["list", "watch"] },
          { apiGroups: ["apps"], resources: ["daemonsets", "deployments", "statefulsets"], verbs: ["list", "watch"] },
          { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["list", "watch"] },
        ],
        clusterRules: [],
      },
      egress: [{ name: "kubernetes-api", cidrs: cluster.apiServerCidrs, except: [], ports: [443, 6443] }],
    },
  );
}

/** Every exporter of the stack, in the order they were always listed. */
export function exporterWorkloads(
  config: MonitoringInput,
  others: Workload[],
  tls: TlsProbe[],
  cluster: WatchedCluster | undefined,
): Workload[] {
  const e = config.monitoring.exporters;
  return [
    // On a watched cluster node-exporter is a DaemonSet the Kubernetes target places on every node
    // (host mounts, its own namespace); here it would be one pod that sees one node from inside.
    ...(e.node.enabled && !cluster ? [nodeExporter(config)] : []),
    ...dataStoreExporters(config),
    ...(e.blackbox.enabled ? [blackboxExporter(config, others, tls)] : []),
    ...(cluster ? [kubeStateMetrics(config, cluster)] : []),
  ];
}
