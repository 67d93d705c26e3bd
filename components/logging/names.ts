// Names and ports the log store's parts agree on: the store, the collector, the collector's
// metrics. A leaf module, so the alerts (./alerts.ts) read them without importing the renderers.
export const VICTORIALOGS_HOST = "victorialogs";
export const VICTORIALOGS_PORT = 9428;
export const COLLECTOR_NAME = "otelcol";
/** The collector's own metrics (records received, sent, failed, queued). */
export const COLLECTOR_TELEMETRY_PORT = 8888;
/** The per-service record counts (count connector -> Prometheus exporter). */
export const COLLECTOR_COUNTS_PORT = 8889;
export const COLLECTOR_HEALTH_PORT = 13133;
/** Scrape job of the per-service counts. */
export const COLLECTOR_COUNTS_JOB = `${COLLECTOR_NAME}-counts`;
/** Counters of the count connector, as Prometheus exposes them (labelled service_name). */
export const LOG_RECORDS_METRIC = "ops_baseline_log_records_total";
export const LOG_ERROR_RECORDS_METRIC = "ops_baseline_log_error_records_total";
