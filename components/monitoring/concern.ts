// The monitoring concern: Prometheus, Alertmanager, Grafana and the exporters as workloads, with
// their configuration rendered from the same stack config as the services they watch. Each part
// is built in its own file; this one composes them and derives the alert context.
import { jobOverdueSeconds } from "../jobs/config";
import type { MonitoringInput } from "./config";
import type { AlertContext } from "../alerts/catalogue";
import { backedUpStores, backupNames } from "../backup/concern";
import { renderRuleFiles, type RuleFile } from "../alerts/rules";
import { resolveSignals, type ResolvedSignals } from "../alerts/signals";
import { tlsProbes } from "../entrypoints/concern";
import type { ConcernOutput, Workload } from "../workloads/model";
import { alertmanagerWorkload } from "./alertmanager";
import { exporterWorkloads, watchedDataStores } from "./exporters";
import { grafanaWorkloads } from "./grafana";
import { CLUSTER_JOBS, natsHealthTargets, prometheusPart } from "./prometheus";
import { pushgatewayWorkload } from "./pushgateway";
import { watchedCluster, type WatchedCluster } from "./workload";

export { NATS_EXPORTER_PORT } from "./exporters";

/** Alert context of a stack: which jobs are services and which are infrastructure. */
export function alertContext(
  services: Workload[],
  monitoring: Workload[],
  backups: { backups: string[]; drills: string[] } = { backups: [], drills: [] },
  signals: Record<string, ResolvedSignals> = {},
): AlertContext {
  const jobsOf = (ws: Workload[]) => [...new Set(ws.flatMap((w) => w.metrics.map((m) => m.job ?? w.name)))].sort();
  const serviceWorkloads = services.filter((w) => w.role === "service");
  return {
    serviceJobs: jobsOf(serviceWorkloads),
    signals: Object.fromEntries(jobsOf(serviceWorkloads).map((job) => [job, signals[job] ?? {}])),
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

/** The alert context of the stack: `monitoring` are its monitoring workloads but Prometheus. */
function monitoringContext(
  config: MonitoringInput,
  others: Workload[],
  monitoring: Workload[],
  cluster: WatchedCluster | undefined,
): AlertContext {
  const m = config.monitoring;
  const watched = watchedDataStores(config);
  const context: AlertContext = {
    ...alertContext(
      others,
      monitoring,
      backupNames(config),
      Object.fromEntries(Object.entries(config.services).map(([n, s]) => [n, resolveSignals(s.signals).signals])),
    ),
    ...(cluster ? { kubernetesNamespace: cluster.namespace } : {}),
    archiving: {
      stores: m.exporters.postgres.enabled
        ? backedUpStores(config).filter((n) => config.dataStores[n].engine === "postgresql")
        : [],
      rpoSeconds: config.backup.pitr.archiveTimeout,
    },
    watchedEngines: [...new Set(watched.map(([, store]) => store.engine))].sort(),
    natsStores: watched.filter(([, store]) => store.engine === "nats").map(([name]) => name),
    natsHealthProbes: natsHealthTargets(config).map((t) => t.store),
    scheduledJobs: jobOverdueSeconds(config.jobs),
  };
  const store = config.logging.store;
  if (store.enabled) {
    context.logs = {
      services: context.serviceJobs.filter((job) => !store.logsStopped.exclude.includes(job)),
      errorWindowSeconds: store.alert.window,
      stoppedWindowSeconds: store.logsStopped.window,
    };
  }
  if (cluster) {
    context.infraJobs = [...new Set([...context.infraJobs, ...CLUSTER_JOBS])].sort();
  }
  return context;
}

/**
 * `others` are the workloads of every other concern (services, data stores, backup), so their
 * metrics endpoints are scraped.
 */
export function monitoringConcern(config: MonitoringInput, others: Workload[]): MonitoringOutput {
  const cluster = watchedCluster(config);
  const services = others.filter((w) => w.role === "service");
  const tls = tlsProbes(config);
  const exporters = exporterWorkloads(config, others, tls, cluster);
  const alertmanager = alertmanagerWorkload(config, services);
  const pushgateway = pushgatewayWorkload(config);
  const grafana = grafanaWorkloads(config, services);
  // Prometheus last: its scrape configuration names every other workload.
  const watched = [...exporters, alertmanager.workload, pushgateway, ...grafana];
  const context = monitoringContext(config, others, watched, cluster);
  const ruleFiles = renderRuleFiles(config.alerts, context);
  const prometheus = prometheusPart(config, [...others, ...watched], ruleFiles, tls, cluster);
  return {
    workloads: [prometheus.workload, alertmanager.workload, pushgateway, ...grafana, ...exporters].sort((a, b) =>
      a.name.localeCompare(b.name),
    ),
    jobs: [],
    ruleFiles,
    prometheusConfig: prometheus.config,
    alertmanagerConfig: alertmanager.config,
    context,
  };
}
