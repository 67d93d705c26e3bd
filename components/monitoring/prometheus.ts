// prometheus.yml, generated from the workloads: one scrape job per metrics endpoint (every
// replica, through the `<name>-pods` host that resolves to all of them on both targets), and a
// blackbox probe of every service's HTTP health endpoint, and one probe job per NATS store of its
// /healthz (NatsServerDown reads it).
import type { MonitoringInput } from "./config";
import type { TlsProbe } from "../entrypoints/concern";
import { httpProbe, nodeAgentNamespace, podsServiceName, type FileSpec, type Workload } from "../workloads/model";
import { secondsToDuration } from "../workloads/units";
import { toYaml, type RuleFile } from "../alerts/rules";
import { natsHealthJob } from "../alerts/nats";
import { monitoringWorkload, type WatchedCluster } from "./workload";

export const PROMETHEUS_CONFIG_DIR = "/etc/prometheus";
export const BLACKBOX_HOST = "blackbox-exporter";
export const NODE_EXPORTER_PORT = 9100;
export const KUBELET_PORT = 10250;
/** Scrape jobs found through the Kubernetes API rather than a workload of the stack. */
export const CLUSTER_JOBS = ["cadvisor", "kubelet", "node"];
const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface PrometheusRenderInput {
  environment: string;
  scrapeIntervalSeconds: number;
  scrapeTimeoutSeconds: number;
  evaluationIntervalSeconds: number;
  workloads: Workload[];
  ruleFiles: string[];
  alertmanager: string;
  blackbox: boolean;
  /** Scrape every node's node-exporter, kubelet and cAdvisor, found through the Kubernetes API. */
  kubernetesNodes?: boolean;
  /** HTTPS endpoints of the entry points, each probed with its own module (TLS server name). */
  tlsProbes?: TlsProbe[];
  /** Kubernetes: the stack's namespace; node agents are scraped in theirs (nodeAgentNamespace). */
  namespace?: string;
  /** NATS stores' /healthz, each probed by the blackbox exporter in a job of its own (natsHealthJob). */
  natsHealth?: NatsHealthTarget[];
}

export interface NatsHealthTarget {
  store: string;
  url: string;
}

/**
 * NATS's own health endpoint on each NATS store's monitoring port, probed by the blackbox exporter
 * (none without it). Not the exporter's varz series: prometheus-nats-exporter keeps serving the
 * last values it read when /varz stops answering, so their absence never says the server is down.
 */
export function natsHealthTargets(config: Pick<MonitoringInput, "dataStores" | "monitoring">): NatsHealthTarget[] {
  if (!config.monitoring.exporters.blackbox.enabled) return [];
  return Object.entries(config.dataStores)
    .flatMap(([store, s]) =>
      s.engine === "nats" ? [{ store, url: `http://${store}:${s.monitoringPort}/healthz` }] : [],
    )
    .sort((a, b) => a.store.localeCompare(b.store));
}

export interface ScrapeTarget {
  job: string;
  host: string;
  port: number;
  path: string;
  labels: Record<string, string>;
  honorLabels: boolean;
}

export function scrapeTargets(workloads: Workload[], namespace?: string): ScrapeTarget[] {
  return workloads
    .flatMap((w) =>
      w.metrics.map((m) => {
        const port = w.ports.find((p) => p.name === m.port);
        if (!port) throw new Error(`${w.name}: metrics port "${m.port}" is not one of its ports`);
        return {
          job: m.job ?? w.name,
          // A node agent on Kubernetes lives in the node-agent namespace: its name is qualified.
          host:
            namespace && w.placement === "every-node"
              ? `${podsServiceName(w.name)}.${nodeAgentNamespace(namespace)}.svc`
              : podsServiceName(w.name),
          port: port.containerPort,
          path: m.path,
          labels: m.labels ?? {},
          honorLabels: m.honorLabels ?? false,
        };
      }),
    )
    .sort((a, b) => a.job.localeCompare(b.job));
}

/** HTTP endpoints of services that the blackbox exporter probes: each one's readiness or liveness path. */
export function probeTargets(workloads: Workload[]): Array<{ service: string; url: string }> {
  return workloads
    .filter((w) => w.role === "service")
    .flatMap((w) => {
      const check = (w.health.readiness ?? w.health.liveness)?.check;
      if (!check || check.type !== "http") return [];
      const port = w.ports.find((p) => p.name === check.port);
      return port ? [{ service: w.name, url: `http://${w.name}:${port.containerPort}${check.path}` }] : [];
    })
    .sort((a, b) => a.url.localeCompare(b.url));
}

export function renderPrometheusConfig(input: PrometheusRenderInput): string {
  const scrapeConfigs: unknown[] = [
    // Prometheus scrapes itself on localhost; it is not among the workloads it renders for.
    { job_name: "prometheus", static_configs: [{ targets: ["localhost:9090"] }] },
    ...scrapeTargets(input.workloads, input.namespace).map((t) => ({
      job_name: t.job,
      ...(t.honorLabels ? { honor_labels: true } : {}),
      metrics_path: t.path,
      // Re-resolved every scrape interval: where a stopped container drops out of DNS (Docker),
      // its job's `up` goes absent within one interval and ServiceDown's absent() catches it.
      dns_sd_configs: [
        { names: [t.host], type: "A", port: t.port, refresh_interval: secondsToDuration(input.scrapeIntervalSeconds) },
      ],
      relabel_configs: Object.entries(t.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, value]) => ({ target_label: label, replacement: value })),
    })),
  ];
  if (input.kubernetesNodes) {
    // The kubelet's serving certificate is usually self-signed per node: verified by the
    // service-account token's audience, not by a CA the pod has.
    const kubelet = (job: string, path: string) => ({
      job_name: job,
      scheme: "https",
      metrics_path: path,
      authorization: { credentials_file: `${SERVICE_ACCOUNT}/token` },
      tls_config: { insecure_skip_verify: true },
      kubernetes_sd_configs: [{ role: "node" }],
      relabel_configs: [{ source_labels: ["__meta_kubernetes_node_name"], target_label: "node" }],
    });
    scrapeConfigs.push(kubelet("cadvisor", "/metrics/cadvisor"), kubelet("kubelet", "/metrics"), {
      job_name: "node",
      kubernetes_sd_configs: [{ role: "node" }],
      relabel_configs: [
        { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
        {
          source_labels: ["__meta_kubernetes_node_address_InternalIP"],
          target_label: "__address__",
          replacement: `$1:${NODE_EXPORTER_PORT}`,
        },
      ],
    });
  }
  const probes = probeTargets(input.workloads);
  const tlsProbes = input.tlsProbes ?? [];
  if (input.blackbox && probes.length + tlsProbes.length > 0) {
    scrapeConfigs.push({
      job_name: "blackbox",
      metrics_path: "/probe",
      params: { module: ["http_2xx"] },
      // One job, so the probe and certificate alerts (job="blackbox") cover the entry points too;
      // an entry point's target picks its own module through the __param_module label.
      static_configs: [
        ...probes.map((p) => ({ targets: [p.url], labels: { service: p.service } })),
        ...tlsProbes.map((p) => ({ targets: [p.url], labels: { __param_module: p.module, service: p.entrypoint } })),
      ],
      relabel_configs: [
        { source_labels: ["__address__"], target_label: "__param_target" },
        { source_labels: ["__param_target"], target_label: "instance" },
        { target_label: "__address__", replacement: `${BLACKBOX_HOST}:9115` },
      ],
    });
  }
  if (input.blackbox) {
    for (const t of input.natsHealth ?? []) {
      scrapeConfigs.push({
        job_name: natsHealthJob(t.store),
        metrics_path: "/probe",
        params: { module: ["http_2xx"] },
        static_configs: [{ targets: [t.url], labels: { datastore: t.store } }],
        relabel_configs: [
          { source_labels: ["__address__"], target_label: "__param_target" },
          { source_labels: ["__param_target"], target_label: "instance" },
          { target_label: "__address__", replacement: `${BLACKBOX_HOST}:9115` },
        ],
      });
    }
  }
  const cleaned = scrapeConfigs.map((c) => {
    const entry = c as Record<string, unknown>;
    if (Array.isArray(entry.relabel_configs) && entry.relabel_configs.length === 0) delete entry.relabel_configs;
    return entry;
  });
  return toYaml({
    global: {
      scrape_interval: secondsToDuration(input.scrapeIntervalSeconds),
      scrape_timeout: secondsToDuration(input.scrapeTimeoutSeconds),
      evaluation_interval: secondsToDuration(input.evaluationIntervalSeconds),
      external_labels: { environment: input.environment },
    },
    alerting: { alertmanagers: [{ static_configs: [{ targets: [input.alertmanager] }] }] },
    rule_files: [...input.ruleFiles].sort().map((f) => `${PROMETHEUS_CONFIG_DIR}/rules/${f}`),
    scrape_configs: cleaned,
  });
}

export function renderBlackboxConfig(tlsProbes: TlsProbe[] = []): string {
  return toYaml({
    modules: {
      http_2xx: {
        prober: "http",
        timeout: "5s",
        http: { preferred_ip_protocol: "ip4", valid_status_codes: [], follow_redirects: true },
      },
      // An entry point: HTTPS only, the certificate verified for its host name (an expired or
      // wrong certificate fails the probe; probe_ssl_earliest_cert_expiry feeds the expiry alerts).
      ...Object.fromEntries(
        tlsProbes.map((p) => [
          p.module,
          {
            prober: "http",
            timeout: "5s",
            http: {
              preferred_ip_protocol: "ip4",
              valid_status_codes: [],
              follow_redirects: true,
              fail_if_not_ssl: true,
              tls_config: { server_name: p.serverName },
            },
          },
        ]),
      ),
      tcp_connect: { prober: "tcp", timeout: "5s", tcp: { preferred_ip_protocol: "ip4" } },
    },
  });
}

/** On a watched cluster: finds the nodes through the API and scrapes node-exporter and the kubelet there. */
function clusterDiscovery(cluster: WatchedCluster | undefined): Partial<Workload> {
  if (!cluster) return {};
  return {
    apiAccess: {
      rules: [],
      clusterRules: [{ apiGroups: [""], resources: ["nodes", "nodes/metrics"], verbs: ["get", "list", "watch"] }],
    },
    egress: [
      { name: "kubernetes-api", cidrs: cluster.apiServerCidrs, except: [], ports: [443, 6443] },
      { name: "nodes", cidrs: cluster.nodeCidrs, except: [], ports: [NODE_EXPORTER_PORT, KUBELET_PORT] },
    ],
  };
}

/** The Prometheus workload: `files` are its configuration and rules, `scraped` what it scrapes. */
export function prometheusWorkload(
  config: MonitoringInput,
  files: FileSpec[],
  scraped: Workload[],
  cluster: WatchedCluster | undefined,
): Workload {
  const p = config.monitoring.prometheus;
  return monitoringWorkload(config, "prometheus", p, {
    ports: [{ name: "web", containerPort: 9090, protocol: "tcp", hostPort: p.hostPort, external: false }],
    args: [
      `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
      "--storage.tsdb.path=/prometheus",
      `--storage.tsdb.retention.time=${Math.round(p.retentionTime / 3600)}h`,
      `--storage.tsdb.retention.size=${Math.floor(p.retentionSize / 1024 ** 2)}MB`,
      // POST /-/reload re-reads the configuration without a restart.
      "--web.enable-lifecycle",
      "--web.listen-address=:9090",
    ],
    files,
    volumes: [{ name: "data", mountPath: "/prometheus", sizeBytes: p.storage, persistent: true, readOnly: false }],
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
    ...clusterDiscovery(cluster),
  });
}

/** Prometheus with its rendered prometheus.yml, which names every workload in `scraped`. */
export function prometheusPart(
  config: MonitoringInput,
  scraped: Workload[],
  ruleFiles: RuleFile[],
  tls: TlsProbe[],
  cluster: WatchedCluster | undefined,
): { workload: Workload; config: string } {
  const m = config.monitoring;
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
    natsHealth: natsHealthTargets(config),
    kubernetesNodes: cluster !== undefined,
    namespace: config.target.kind === "kubernetes" ? config.target.namespace : undefined,
  });
  const files: FileSpec[] = [
    { path: `${PROMETHEUS_CONFIG_DIR}/prometheus.yml`, content: prometheusConfig, mode: 0o444 },
    ...ruleFiles.map((f) => ({ path: `${PROMETHEUS_CONFIG_DIR}/rules/${f.name}`, content: f.content, mode: 0o444 })),
  ];
  return { workload: prometheusWorkload(config, files, scraped, cluster), config: prometheusConfig };
}
