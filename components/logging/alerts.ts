// Alerts on logs, from what the collector counts (./otelcol.ts) and what the store reports about
// itself: error-pattern lines of a service, a service that is up but stopped writing lines, a
// collector that cannot hand its records to the store, and the store's volume filling. Part of
// the catalogue (components/alerts/catalogue.ts), so overrides, runbook sections, routing,
// inhibition and the generated promtool suite apply to them like to any other alert; they exist
// only when the stack has a log store.
//
// Counting in the collector rather than querying the store: the counts are ordinary Prometheus
// series, so the alerts are evaluated, routed and tested (promtool) with every other alert, and
// no second rule engine has to reach the store. "Logs stopped" then means "stopped reaching the
// collector"; the backlog and dropping alerts cover the hop from the collector to the store.
import type { AlertContext, AlertDefinition, AlertTestPlan } from "../alerts/catalogue/types";
import { counter, gauge } from "../alerts/catalogue/series";
import {
  COLLECTOR_COUNTS_JOB as COUNTS_JOB,
  COLLECTOR_NAME,
  LOG_ERROR_RECORDS_METRIC,
  LOG_RECORDS_METRIC,
  VICTORIALOGS_HOST,
} from "./names";

function logs(ctx: AlertContext) {
  return ctx.logs;
}

/**
 * Lines of each service in the last `seconds`, by service_name. A service's counter is born at its
 * first counted line, with that count: increase() sees no rise in a series younger than the window,
 * so a series that did not exist a window ago counts with its whole value.
 */
function linesIn(metric: string, seconds: number): string {
  const m = `${metric}{job="${COUNTS_JOB}"}`;
  return `sum by (service_name) ((increase(${m}[${seconds}s]) and ${m} offset ${seconds}s) or ${m})`;
}

const countsSeries = (metric: string, service: string) =>
  `${metric}{job="${COUNTS_JOB}",instance="${COLLECTOR_NAME}:8889",service_name="${service}"}`;

export const LOG_ALERTS: AlertDefinition[] = [
  {
    name: "ServiceLogErrorPattern",
    group: "logs",
    severity: "warning",
    forSeconds: 0,
    threshold: 0,
    unit: "lines in the window",
    expr: (threshold, ctx) => {
      const l = logs(ctx);
      if (!l) return [];
      return [`${linesIn(LOG_ERROR_RECORDS_METRIC, l.errorWindowSeconds)} > ${threshold}`];
    },
    summary: "{{ $labels.service_name }} logged lines matching the error pattern",
    description:
      "{{ $labels.service_name }} wrote more than the threshold of lines matching the stack's error pattern (logging.store.alert.pattern) in the alert's window; the runbook section gives the LogsQL query that lists them.",
    test: (threshold, ctx): AlertTestPlan => {
      const l = logs(ctx);
      const service = l?.services[0] ?? "api";
      const windowMinutes = Math.ceil((l?.errorWindowSeconds ?? 300) / 60);
      // Past the threshold: threshold + 1 lines per window, spread over the window's minutes.
      const perMinute = (threshold + 1) / windowMinutes;
      return {
        firing: [{ series: countsSeries(LOG_ERROR_RECORDS_METRIC, service), values: counter(perMinute * 1.5) }],
        silent: [{ series: countsSeries(LOG_ERROR_RECORDS_METRIC, service), values: counter(0) }],
        steadyMinutes: windowMinutes,
        labels: { service_name: service },
      };
    },
  },
  {
    name: "ServiceLogsStopped",
    group: "logs",
    severity: "warning",
    forSeconds: 0,
    // While the collector itself is down every service would look silent; TargetDown says that.
    expr: (_, ctx) => {
      const l = logs(ctx);
      if (!l || l.services.length === 0) return [];
      const jobs = l.services.length === 1 ? `job="${l.services[0]}"` : `job=~"${l.services.join("|")}"`;
      const written = `label_replace(${linesIn(LOG_RECORDS_METRIC, l.stoppedWindowSeconds)}, "job", "$1", "service_name", "(.+)")`;
      return [
        `(max by (job) (up{${jobs}}) == 1) unless on (job) (${written} > 0) and on () (max(up{job="${COUNTS_JOB}"}) == 1)`,
      ];
    },
    summary: "{{ $labels.job }} is up but wrote no log line in the window",
    description:
      "{{ $labels.job }} answers its scrapes, yet the log collector received no line from it in the window (logging.store.logsStopped.window): its output is stuck, its logging is misconfigured, or the collector no longer sees its container.",
    test: (_, ctx): AlertTestPlan => {
      const l = logs(ctx);
      const service = l?.services[0] ?? "api";
      const minutes = Math.ceil((l?.stoppedWindowSeconds ?? 1800) / 60);
      const up = { series: `up{job="${service}",instance="${service}:3000"}`, values: gauge(1) };
      const collector = { series: `up{job="${COUNTS_JOB}",instance="${COLLECTOR_NAME}:8889"}`, values: gauge(1) };
      return {
        firing: [up, collector, { series: countsSeries(LOG_RECORDS_METRIC, service), values: counter(0) }],
        silent: [up, collector, { series: countsSeries(LOG_RECORDS_METRIC, service), values: counter(5) }],
        steadyMinutes: minutes,
        labels: { job: service },
      };
    },
  },
  {
    name: "LogCollectorBacklog",
    group: "logs",
    severity: "warning",
    forSeconds: 300,
    threshold: 50,
    unit: "percent of the send queue",
    expr: (threshold, ctx) =>
      logs(ctx)
        ? [
            `max by (job, instance) (otelcol_exporter_queue_size{job="${COLLECTOR_NAME}",data_type="logs"} / otelcol_exporter_queue_capacity{job="${COLLECTOR_NAME}",data_type="logs"}) * 100 > ${threshold}`,
          ]
        : [],
    summary: "The log collector on {{ $labels.instance }} cannot hand its records to the store",
    description:
      "More than the threshold of the collector's send queue is waiting: the log store does not accept records (down, disk full, network policy). Records are kept on disk until the queue is full, then new ones are refused (LogCollectorDroppingRecords).",
    test: (threshold): AlertTestPlan => {
      const labels = `job="${COLLECTOR_NAME}",instance="${COLLECTOR_NAME}:8888",data_type="logs",exporter="otlp_http"`;
      return {
        firing: [
          { series: `otelcol_exporter_queue_size{${labels}}`, values: gauge(threshold * 11) },
          { series: `otelcol_exporter_queue_capacity{${labels}}`, values: gauge(1000) },
        ],
        silent: [
          { series: `otelcol_exporter_queue_size{${labels}}`, values: gauge(threshold * 9) },
          { series: `otelcol_exporter_queue_capacity{${labels}}`, values: gauge(1000) },
        ],
        steadyMinutes: 0,
        labels: { job: COLLECTOR_NAME, instance: `${COLLECTOR_NAME}:8888` },
      };
    },
  },
  {
    name: "LogCollectorDroppingRecords",
    group: "logs",
    severity: "warning",
    forSeconds: 0,
    // Refused at the door (memory limiter), not queued (queue full), or given up on (refused by the store).
    // The collector's failure counters are born at the first failure, with its count (a store that
    // answers 400 once loses a whole batch): rate() sees no rise in a new series, so it counts whole.
    expr: (_, ctx) => {
      if (!logs(ctx)) return [];
      const lost = (metric: string) => {
        const m = `${metric}{job="${COLLECTOR_NAME}"}`;
        return `(increase(${m}[5m]) and ${m} offset 5m) or ${m}`;
      };
      const counters = [
        "otelcol_receiver_refused_log_records",
        "otelcol_exporter_enqueue_failed_log_records",
        "otelcol_exporter_send_failed_log_records",
      ];
      return [`sum by (job, instance) (${counters.map(lost).join(" or ")}) > 0`];
    },
    summary: "The log collector on {{ $labels.instance }} is losing records",
    description:
      "The collector refused, could not queue, or gave up sending log records in the last 5 minutes: those lines are not in the store.",
    test: (): AlertTestPlan => {
      const labels = `job="${COLLECTOR_NAME}",instance="${COLLECTOR_NAME}:8888",exporter="otlp_http",data_type="logs"`;
      return {
        firing: [{ series: `otelcol_exporter_enqueue_failed_log_records{${labels}}`, values: counter(10) }],
        silent: [{ series: `otelcol_exporter_enqueue_failed_log_records{${labels}}`, values: counter(0) }],
        steadyMinutes: 5,
        labels: { job: COLLECTOR_NAME, instance: `${COLLECTOR_NAME}:8888` },
      };
    },
  },
  {
    name: "LogStoreDiskFilling",
    group: "logs",
    severity: "warning",
    forSeconds: 600,
    threshold: 10,
    unit: "percent of the volume free",
    expr: (threshold, ctx) =>
      logs(ctx)
        ? [
            `min by (job, instance) (vl_free_disk_space_bytes{job="${VICTORIALOGS_HOST}"} / vl_total_disk_space_bytes{job="${VICTORIALOGS_HOST}"}) * 100 < ${threshold}`,
          ]
        : [],
    summary: "The log store's volume on {{ $labels.instance }} is almost full",
    description:
      "Less than the threshold of the log store's volume is free: logging.store.maxDiskUsage is above what the volume holds next to other data, or the volume is too small. When it fills, the store stops accepting records.",
    test: (threshold): AlertTestPlan => {
      const labels = `job="${VICTORIALOGS_HOST}",instance="${VICTORIALOGS_HOST}:9428",path="/vlogs"`;
      const total = 10 * 1024 ** 3;
      return {
        firing: [
          { series: `vl_free_disk_space_bytes{${labels}}`, values: gauge((total * threshold * 0.9) / 100) },
          { series: `vl_total_disk_space_bytes{${labels}}`, values: gauge(total) },
        ],
        silent: [
          { series: `vl_free_disk_space_bytes{${labels}}`, values: gauge((total * threshold * 1.1) / 100) },
          { series: `vl_total_disk_space_bytes{${labels}}`, values: gauge(total) },
        ],
        steadyMinutes: 0,
        labels: { job: VICTORIALOGS_HOST, instance: `${VICTORIALOGS_HOST}:9428` },
      };
    },
  },
];
