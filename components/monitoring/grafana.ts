// Grafana provisioning: the Prometheus datasource, a dashboard provider, and dashboards built
// from code (per service: traffic, errors, latency percentiles, saturation; per data store; an
// overview). A small typed builder keeps the JSON deterministic and reviewable.
import type { MonitoringInput } from "./config";
import { toYaml } from "../alerts/rules";
import { httpProbe, type FileSpec, type Workload } from "../workloads/model";
import { monitoringWorkload } from "./workload";
import { nonRootUser } from "../workloads/security";

export const GRAFANA_PROVISIONING = "/etc/grafana/provisioning";
export const GRAFANA_DASHBOARDS = "/var/lib/grafana/dashboards";

interface Target {
  expr: string;
  legendFormat: string;
}

interface Panel {
  title: string;
  unit: string;
  targets: Target[];
}

function timeseries(title: string, unit: string, ...targets: Array<[string, string]>): Panel {
  return { title, unit, targets: targets.map(([expr, legendFormat]) => ({ expr, legendFormat })) };
}

/** A dashboard in Grafana's JSON model: panels two to a row, ids and positions derived. */
export function dashboard(uid: string, title: string, tags: string[], panels: Panel[]): Record<string, unknown> {
  return {
    uid,
    title,
    tags,
    editable: false,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      datasource: { type: "prometheus", uid: "prometheus" },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        expr: t.expr,
        legendFormat: t.legendFormat,
      })),
    })),
  };
}

export function serviceDashboard(job: string): Record<string, unknown> {
  const sel = `job="${job}"`;
  return dashboard(
    `svc-${job}`,
    `Service: ${job}`,
    ["ops-baseline", "service"],
    [
      timeseries("Request rate", "reqps", [`sum by (route) (rate(http_requests_total{${sel}}[5m]))`, "{{route}}"]),
      timeseries("Error ratio (5xx)", "percentunit", [
        `sum(rate(http_requests_total{${sel},status=~"5.."}[5m])) / sum(rate(http_requests_total{${sel}}[5m]))`,
        "errors",
      ]),
      timeseries(
        "Latency percentiles",
        "s",
        ...(["0.5", "0.95", "0.99"] as const).map((q): [string, string] => [
          `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[5m])))`,
          `p${Number(q) * 100}`,
        ]),
      ),
      timeseries(
        "Saturation: memory of limit, CPU",
        "percentunit",
        [
          `process_resident_memory_bytes{${sel}} / on (job) group_left ops_baseline:memory_limit_bytes`,
          "memory {{instance}}",
        ],
        [`rate(process_cpu_seconds_total{${sel}}[5m])`, "cpu {{instance}}"],
      ),
    ],
  );
}

export function dataStoreDashboard(name: string, engine: "postgresql" | "redis" | "nats"): Record<string, unknown> {
  const sel = `datastore="${name}"`;
  const panels =
    engine === "nats"
      ? [
          timeseries("Connections of max", "percentunit", [
            `gnatsd_varz_connections{${sel}} / gnatsd_varz_max_connections{${sel}}`,
            "connections",
          ]),
          timeseries("JetStream file store of max", "percentunit", [
            `gnatsd_varz_jetstream_stats_storage{${sel}} / gnatsd_varz_jetstream_config_max_storage{${sel}}`,
            "file store",
          ]),
          timeseries("Slow consumers", "none", [`gnatsd_varz_slow_consumers{${sel}}`, "slow consumers"]),
        ]
      : engine === "postgresql"
        ? [
            timeseries("Up", "none", [`pg_up{${sel}}`, "up"]),
            timeseries("Connections of max", "percentunit", [
              `sum(pg_stat_activity_count{${sel}}) / max(pg_settings_max_connections{${sel}})`,
              "connections",
            ]),
            timeseries("Transactions", "ops", [`sum(rate(pg_stat_database_xact_commit{${sel}}[5m]))`, "commits"]),
            timeseries("Database size", "bytes", [`pg_database_size_bytes{${sel}}`, "{{datname}}"]),
          ]
        : [
            timeseries("Up", "none", [`redis_up{${sel}}`, "up"]),
            timeseries("Clients of max", "percentunit", [
              `redis_connected_clients{${sel}} / redis_config_maxclients{${sel}}`,
              "clients",
            ]),
            timeseries("Memory of maxmemory", "percentunit", [
              `redis_memory_used_bytes{${sel}} / redis_memory_max_bytes{${sel}}`,
              "memory",
            ]),
            timeseries("Commands", "ops", [`rate(redis_commands_processed_total{${sel}}[5m])`, "commands"]),
          ];
  return dashboard(`ds-${name}`, `Data store: ${name}`, ["ops-baseline", "datastore"], panels);
}

export function overviewDashboard(): Record<string, unknown> {
  return dashboard(
    "overview",
    "Overview",
    ["ops-baseline"],
    [
      timeseries("Targets up", "none", ["sum by (job) (up)", "{{job}}"]),
      timeseries("Alerts firing", "none", ['sum by (severity) (ALERTS{alertstate="firing"})', "{{severity}}"]),
      timeseries("Probe success", "none", ['probe_success{job="blackbox"}', "{{instance}}"]),
      timeseries("Request rate by service", "reqps", ["sum by (job) (rate(http_requests_total[5m]))", "{{job}}"]),
    ],
  );
}

export function renderGrafanaFiles(
  workloads: Workload[],
  dataStores: Array<{ name: string; engine: "postgresql" | "redis" | "nats" }>,
) {
  const dashboards: Array<[string, Record<string, unknown>]> = [
    ["overview.json", overviewDashboard()],
    ...workloads
      .filter((w) => w.role === "service" && w.metrics.length > 0)
      .map((w): [string, Record<string, unknown>] => [
        `service-${w.name}.json`,
        serviceDashboard(w.metrics[0].job ?? w.name),
      ]),
    ...dataStores.map((d): [string, Record<string, unknown>] => [
      `datastore-${d.name}.json`,
      dataStoreDashboard(d.name, d.engine),
    ]),
  ];
  return [
    {
      path: `${GRAFANA_PROVISIONING}/datasources/prometheus.yml`,
      content: toYaml({
        apiVersion: 1,
        datasources: [
          {
            name: "Prometheus",
            uid: "prometheus",
            type: "prometheus",
            access: "proxy",
            url: "http://prometheus:9090",
            isDefault: true,
            editable: false,
          },
        ],
      }),
    },
    {
      path: `${GRAFANA_PROVISIONING}/dashboards/ops-baseline.yml`,
      content: toYaml({
        apiVersion: 1,
        providers: [
          {
            name: "ops-baseline",
            type: "file",
            disableDeletion: true,
            allowUiUpdates: false,
            options: { path: GRAFANA_DASHBOARDS },
          },
        ],
      }),
    },
    ...dashboards
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([file, json]) => ({
        path: `${GRAFANA_DASHBOARDS}/${file}`,
        content: `${JSON.stringify(json, null, 2)}\n`,
      })),
  ];
}

/**
 * Provisioning files: dashboards of the services and data stores, the Prometheus datasource. Logs
 * are searched in the log store's own web UI (components/logging/victorialogs.ts), which needs no
 * Grafana plugin.
 */
function grafanaFiles(config: MonitoringInput, services: Workload[]): FileSpec[] {
  return renderGrafanaFiles(
    services,
    Object.entries(config.dataStores).map(([name, s]) => ({ name, engine: s.engine })),
  ).map((f): FileSpec => ({ ...f, mode: 0o444 }));
}

/** Grafana, when enabled (none otherwise). */
export function grafanaWorkloads(config: MonitoringInput, services: Workload[]): Workload[] {
  const g = config.monitoring.grafana;
  if (!g.enabled) return [];
  return [
    monitoringWorkload(config, "grafana", g, {
      ports: [{ name: "http", containerPort: 3000, protocol: "tcp", hostPort: g.hostPort, external: false }],
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
      secretEnv: [{ name: "GF_SECURITY_ADMIN_PASSWORD", secret: g.adminPasswordSecret }],
      files: grafanaFiles(config, services),
      volumes: [
        { name: "data", mountPath: "/var/lib/grafana", sizeBytes: g.storage, persistent: true, readOnly: false },
      ],
      securityContext: nonRootUser(472),
      health: {
        liveness: httpProbe("/api/health", "http", 30),
        readiness: httpProbe("/api/health", "http", 10),
      },
      metrics: [{ port: "http", path: "/metrics", job: "grafana" }],
      connectsTo: ["prometheus"],
    }),
  ];
}
