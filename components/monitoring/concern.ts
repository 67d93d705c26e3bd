// The monitoring concern: Prometheus, Alertmanager, Grafana and the exporters as workloads, with
// their configuration rendered from the same stack config as the services they watch.
import { jobOverdueSeconds } from "../jobs/config";
import type { StackConfig } from "../../stacks/config/schema";
import type { AlertContext } from "../alerts/catalogue";
import { backupNames } from "../backup/concern";
import { tlsProbeEgress, tlsProbes } from "../entrypoints/concern";
import { renderRuleFiles, type ExtraAlertGroup, type RuleFile } from "../alerts/rules";
import { containerLogPolicy, standardLabels, toResources } from "../services/workloads";
import { httpProbe, type ConcernOutput, type FileSpec, type SecretEnv, type Workload } from "../workloads/model";
import { receiverEgress, receiverSecretFiles, receiverSends, renderAlertmanagerConfig } from "./alertmanager";
import type { ExporterConfig } from "./config";
import { renderGrafanaFiles } from "./grafana";
import {
  BLACKBOX_HOST,
  CLUSTER_JOBS,
  KUBELET_PORT,
  NODE_EXPORTER_PORT,
  PROMETHEUS_CONFIG_DIR,
  renderBlackboxConfig,
  renderPrometheusConfig,
} from "./prometheus";

export const NATS_EXPORTER_PORT = 7777;

type Common = Pick<StackConfig["monitoring"]["prometheus"], "image" | "build" | "resources">;

function monitoringWorkload(
  config: StackConfig,
  name: string,
  part: Common,
  fields: Partial<Workload> & Pick<Workload, "ports">,
): Workload {
  return {
    kind: "workload",
    name,
    role: "monitoring",
    image: { ref: part.image, build: part.build },
    command: undefined,
    args: [],
    env: {},
    secretEnv: [],
    files: [],
    secretFiles: [],
    volumes: [],
    resources: toResources(part.resources),
    securityContext: {
      runAsUser: 65534,
      runAsGroup: 65534,
      fsGroup: 65534,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
    },
    replicas: 1,
    restartPolicy: config.profile === "dev" ? "unless-stopped" : "always",
    // Those that keep data (TSDB, silences, dashboards' state) run as StatefulSets with claims.
    stateful: (fields.volumes ?? []).some((v) => v.persistent),
    health: {},
    dependsOn: [],
    connectsTo: [],
    metrics: [{ port: fields.ports[0].name, path: "/metrics" }],
    logPolicy: containerLogPolicy(config),
    logFiles: [],
    sidecars: [],
    labels: standardLabels(config, name, "monitoring"),
    annotations: {},
    ...fields,
  };
}

function exporter(
  config: StackConfig,
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

/** Alert context of a stack: which jobs are services and which are infrastructure. */
export function alertContext(
  services: Workload[],
  monitoring: Workload[],
  backups: { backups: string[]; drills: string[] } = { backups: [], drills: [] },
): AlertContext {
  const jobsOf = (ws: Workload[]) => [...new Set(ws.flatMap((w) => w.metrics.map((m) => m.job ?? w.name)))].sort();
  const serviceWorkloads = services.filter((w) => w.role === "service");
  return {
    serviceJobs: jobsOf(serviceWorkloads),
    infraJobs: [
      ...new Set(["prometheus", ...jobsOf(services.filter((w) => w.role !== "service")), ...jobsOf(monitoring)]),
    ].sort(),
    memoryLimits: Object.fromEntries(
      serviceWorkloads.flatMap((w) => w.metrics.map((m) => [m.job ?? w.name, w.resources.memoryLimitBytes])),
    ),
    backups: [...backups.backups].sort(),
    drills: [...backups.drills].sort(),
  };
}

export interface MonitoringOutput extends ConcernOutput {
  ruleFiles: RuleFile[];
  prometheusConfig: string;
  alertmanagerConfig: string;
  context: AlertContext;
}

/**
 * `others` are the workloads of every other concern (services, data stores, backup), so their
 * metrics endpoints are scraped; `extraAlerts` are rule groups those concerns contribute.
 */
export function monitoringConcern(
  config: StackConfig,
  others: Workload[],
  extraAlerts: ExtraAlertGroup[] = [],
): MonitoringOutput {
  const m = config.monitoring;
  const cluster =
    config.target.kind === "kubernetes" && config.target.clusterMonitoring.enabled
      ? { ...config.target.clusterMonitoring, namespace: config.target.namespace }
      : undefined;
  const exporters: Workload[] = [];
  // On a watched cluster node-exporter is a DaemonSet the Kubernetes target places on every node
  // (host mounts, its own namespace); here it would be one pod that sees one node from inside.
  if (m.exporters.node.enabled && !cluster) {
    exporters.push(
      exporter(config, "node-exporter", m.exporters.node, 9100, {
        args: ["--web.listen-address=:9100"],
        metrics: [{ port: "metrics", path: "/metrics", job: "node" }],
      }),
    );
  }
  for (const [name, store] of Object.entries(config.dataStores).sort(([a], [b]) => a.localeCompare(b))) {
    if (store.engine === "postgresql" && m.exporters.postgres.enabled) {
      exporters.push(
        exporter(config, `${name}-exporter`, m.exporters.postgres, 9187, {
          args: ["--web.listen-address=:9187"],
          env: {
            DATA_SOURCE_URI: `${name}:${store.port}/${store.database}?sslmode=disable`,
            // The monitoring role (pg_monitor) when the store has one, else the owner.
            DATA_SOURCE_USER: store.roles.monitor?.name ?? store.user,
          },
          secretEnv: [
            { name: "DATA_SOURCE_PASS", secret: store.roles.monitor?.passwordSecret ?? store.passwordSecret },
          ],
          connectsTo: [name],
          metricsLabels: { datastore: name },
        }),
      );
    }
    if (store.engine === "nats" && m.exporters.nats.enabled) {
      exporters.push(
        exporter(config, `${name}-exporter`, m.exporters.nats, NATS_EXPORTER_PORT, {
          args: ["-varz", "-p", String(NATS_EXPORTER_PORT), `http://${name}:${store.monitoringPort}`],
          connectsTo: [name],
          metricsLabels: { datastore: name },
          // A TCP check: the stand-in and the upstream exporter differ in what they serve on "/".
          health: {
            liveness: { ...httpProbe("/", "metrics", 30), check: { type: "tcp", port: "metrics" } },
            readiness: { ...httpProbe("/", "metrics", 10), check: { type: "tcp", port: "metrics" } },
          },
        }),
      );
    }
    if (store.engine === "redis" && m.exporters.redis.enabled) {
      const secretEnv: SecretEnv[] = store.passwordSecret
        ? [{ name: "REDIS_PASSWORD", secret: store.passwordSecret }]
        : [];
      exporters.push(
        exporter(config, `${name}-exporter`, m.exporters.redis, 9121, {
          args: ["-web.listen-address=:9121"],
          env: { REDIS_ADDR: `redis://${name}:${store.port}` },
          secretEnv,
          connectsTo: [name],
          metricsLabels: { datastore: name },
        }),
      );
    }
  }
  const services = others.filter((w) => w.role === "service");
  const entrypoints = others.filter((w) => w.role === "entrypoint");
  const tls = tlsProbes(config);
  if (m.exporters.blackbox.enabled) {
    const entrypointEgress = tlsProbeEgress(config);
    exporters.push(
      exporter(config, BLACKBOX_HOST, m.exporters.blackbox, 9115, {
        args: ["--config.file=/etc/blackbox/blackbox.yml", "--web.listen-address=:9115"],
        files: [{ path: "/etc/blackbox/blackbox.yml", content: renderBlackboxConfig(tls), mode: 0o444 }],
        connectsTo: [...services, ...entrypoints].map((s) => s.name).sort(),
        metrics: [{ port: "metrics", path: "/metrics", job: "blackbox-exporter" }],
        ...(entrypointEgress.length > 0 ? { egress: entrypointEgress } : {}),
      }),
    );
  }

  if (cluster) {
    exporters.push(
      monitoringWorkload(
        config,
        "kube-state-metrics",
        { image: cluster.kubeStateMetricsImage, resources: m.exporters.node.resources },
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
              {
                apiGroups: ["apps"],
                resources: ["daemonsets", "deployments", "statefulsets"],
                verbs: ["list", "watch"],
              },
              { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: ["list", "watch"] },
            ],
            clusterRules: [],
          },
          egress: [{ name: "kubernetes-api", cidrs: cluster.apiServerCidrs, except: [], ports: [443, 6443] }],
        },
      ),
    );
  }

  const alertmanager = monitoringWorkload(config, "alertmanager", m.alertmanager, {
    ports: [{ name: "web", containerPort: 9093, protocol: "tcp", hostPort: m.alertmanager.hostPort, external: false }],
    args: [
      "--config.file=/etc/alertmanager/alertmanager.yml",
      "--storage.path=/alertmanager",
      "--web.listen-address=:9093",
    ],
    volumes: [
      {
        name: "data",
        mountPath: "/alertmanager",
        sizeBytes: m.alertmanager.storage,
        persistent: true,
        readOnly: false,
      },
    ],
    health: {
      liveness: httpProbe("/-/healthy", "web", 30),
      readiness: httpProbe("/-/ready", "web", 10),
    },
    metrics: [{ port: "web", path: "/metrics", job: "alertmanager" }],
    reload: { url: "http://127.0.0.1:9093/-/reload", dirs: ["/etc/alertmanager"] },
    // Webhook receivers inside the environment (e.g. a local sink in dev).
    connectsTo: services.map((s) => s.name).sort(),
    // Receivers outside it (paging, ticket and heartbeat services): their URLs are secrets, so
    // the policy allows the declared address ranges and ports.
    egress: Object.values(m.alertmanager.receivers).some(receiverSends)
      ? [{ name: "receivers", ...receiverEgress(m) }]
      : [],
  });
  const amConfig = renderAlertmanagerConfig(m);
  const amFile = { path: "/etc/alertmanager/alertmanager.yml", mode: 0o444 };
  alertmanager.files = [{ ...amFile, content: amConfig }];
  alertmanager.secretFiles = receiverSecretFiles(m);

  const pushgateway = monitoringWorkload(config, "pushgateway", m.pushgateway, {
    ports: [{ name: "web", containerPort: 9091, protocol: "tcp", external: false }],
    args: ["--web.listen-address=:9091", "--persistence.file=/data/pushgateway.metrics", "--persistence.interval=1m"],
    volumes: [
      { name: "data", mountPath: "/data", sizeBytes: m.pushgateway.storage, persistent: true, readOnly: false },
    ],
    health: {
      liveness: httpProbe("/-/healthy", "web", 30),
      readiness: httpProbe("/-/ready", "web", 10),
    },
    metrics: [{ port: "web", path: "/metrics", job: "pushgateway", honorLabels: true }],
  });

  // The log store (components/logging/loki.ts), when the stack has one: a Grafana datasource.
  const logStore = others.find((w) => w.role === "logging" && w.name === "loki");
  const grafana: Workload[] = [];
  if (m.grafana.enabled) {
    grafana.push(
      monitoringWorkload(config, "grafana", m.grafana, {
        ports: [{ name: "http", containerPort: 3000, protocol: "tcp", hostPort: m.grafana.hostPort, external: false }],
        env: {
          GF_AUTH_ANONYMOUS_ENABLED: "false",
          GF_AUTH_BASIC_ENABLED: "true",
          GF_PATHS_PROVISIONING: "/etc/grafana/provisioning",
          GF_SECURITY_ADMIN_USER: "admin",
          GF_SECURITY_DISABLE_GRAVATAR: "true",
          GF_USERS_ALLOW_SIGN_UP: "false",
          GF_ANALYTICS_REPORTING_ENABLED: "false",
          GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
        },
        secretEnv: [{ name: "GF_SECURITY_ADMIN_PASSWORD", secret: m.grafana.adminPasswordSecret }],
        files: renderGrafanaFiles(
          services,
          Object.entries(config.dataStores).map(([name, s]) => ({ name, engine: s.engine })),
          logStore ? `http://${logStore.name}:${logStore.ports[0].containerPort}` : undefined,
        ).map((f): FileSpec => ({ ...f, mode: 0o444 })),
        volumes: [
          {
            name: "data",
            mountPath: "/var/lib/grafana",
            sizeBytes: m.grafana.storage,
            persistent: true,
            readOnly: false,
          },
        ],
        securityContext: {
          runAsUser: 472,
          runAsGroup: 472,
          fsGroup: 472,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
        },
        health: {
          liveness: httpProbe("/api/health", "http", 30),
          readiness: httpProbe("/api/health", "http", 10),
        },
        metrics: [{ port: "http", path: "/metrics", job: "grafana" }],
        connectsTo: ["prometheus", ...(logStore ? [logStore.name] : [])],
      }),
    );
  }

  // Prometheus last: its scrape configuration names every other workload.
  const context = {
    ...alertContext(others, [...exporters, alertmanager, pushgateway, ...grafana], backupNames(config)),
    ...(cluster ? { kubernetesNamespace: cluster.namespace } : {}),
    natsStores: m.exporters.nats.enabled
      ? Object.keys(config.dataStores)
          .filter((n) => config.dataStores[n].engine === "nats")
          .sort()
      : [],
    scheduledJobs: jobOverdueSeconds(config.jobs),
  };
  if (cluster) {
    context.infraJobs = [...new Set([...context.infraJobs, ...CLUSTER_JOBS])].sort();
  }
  const ruleFiles = renderRuleFiles(config.alerts, context, extraAlerts);
  const scraped = [...others, ...exporters, alertmanager, pushgateway, ...grafana];
  const prometheusConfig = renderPrometheusConfig({
    environment: config.environment,
    scrapeIntervalSeconds: m.scrapeInterval,
    scrapeTimeoutSeconds: m.scrapeTimeout,
    evaluationIntervalSeconds: m.evaluationInterval,
    workloads: scraped,
    ruleFiles: ruleFiles.map((f) => f.name),
    alertmanager: "alertmanager:9093",
    blackbox: m.exporters.blackbox.enabled,
    tlsProbes: tls,
    kubernetesNodes: cluster !== undefined,
  });
  const files: FileSpec[] = [
    { path: `${PROMETHEUS_CONFIG_DIR}/prometheus.yml`, content: prometheusConfig, mode: 0o444 },
    ...ruleFiles.map((f) => ({ path: `${PROMETHEUS_CONFIG_DIR}/rules/${f.name}`, content: f.content, mode: 0o444 })),
  ];
  const prometheus = monitoringWorkload(config, "prometheus", m.prometheus, {
    ports: [{ name: "web", containerPort: 9090, protocol: "tcp", hostPort: m.prometheus.hostPort, external: false }],
    args: [
      `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
      "--storage.tsdb.path=/prometheus",
      `--storage.tsdb.retention.time=${Math.round(m.prometheus.retentionTime / 3600)}h`,
      `--storage.tsdb.retention.size=${Math.floor(m.prometheus.retentionSize / 1024 ** 2)}MB`,
      // POST /-/reload re-reads the configuration without a restart.
      "--web.enable-lifecycle",
      "--web.listen-address=:9090",
    ],
    files,
    volumes: [
      { name: "data", mountPath: "/prometheus", sizeBytes: m.prometheus.storage, persistent: true, readOnly: false },
    ],
    health: {
      liveness: httpProbe("/-/healthy", "web", 30),
      readiness: httpProbe("/-/ready", "web", 10),
      // Replaying the write-ahead log of a large TSDB takes minutes: up to 30 minutes to start
      // before the liveness probe counts (15 s x 120).
      startup: httpProbe("/-/ready", "web", 15, 120),
    },
    metrics: [{ port: "web", path: "/metrics", job: "prometheus" }],
    connectsTo: [
      ...new Set([...scraped.filter((w) => w.metrics.length > 0).map((w) => w.name), "alertmanager"]),
    ].sort(),
    // Configuration and rules are re-read on change (POST /-/reload), not by a restart.
    reload: { url: "http://127.0.0.1:9090/-/reload", dirs: [PROMETHEUS_CONFIG_DIR] },
    ...(cluster
      ? {
          // Finds the nodes through the API and scrapes node-exporter and the kubelet there.
          apiAccess: {
            rules: [],
            clusterRules: [{ apiGroups: [""], resources: ["nodes", "nodes/metrics"], verbs: ["get", "list", "watch"] }],
          },
          egress: [
            { name: "kubernetes-api", cidrs: cluster.apiServerCidrs, except: [], ports: [443, 6443] },
            { name: "nodes", cidrs: cluster.nodeCidrs, except: [], ports: [NODE_EXPORTER_PORT, KUBELET_PORT] },
          ],
        }
      : {}),
  });
  return {
    workloads: [prometheus, alertmanager, pushgateway, ...grafana, ...exporters].sort((a, b) =>
      a.name.localeCompare(b.name),
    ),
    jobs: [],
    ruleFiles,
    prometheusConfig,
    alertmanagerConfig: amConfig,
    context,
  };
}
