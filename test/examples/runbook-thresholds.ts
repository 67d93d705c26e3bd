// Every runbook threshold an example system's stack file expresses, with the runbook section it
// comes from: test/examples/examples.test.ts finds each in the rendered rules of both of the
// system's stacks, and test/examples/examples.real.test.ts runs the generated promtool suite that
// puts each alert just past and just inside it. Seeds: /work/shared/seeds 000 RTT, 001 RTAP,
// 002 RAVE, 003 C0Di3, 004 T-OPS-01.
export interface RunbookThreshold {
  system: string;
  alert: string;
  /** The number the rule compares against (in the alert's unit), when the runbook gives one. */
  threshold?: number;
  /** `for` as rendered (30s, 2m, 5m, 1h). */
  for?: string;
  severity?: "critical" | "warning" | "info";
  /** Only the rules of that name whose expression contains this (one SLO of several). */
  select?: string;
  /** Text the rendered rule files must contain (e.g. the SLO's latency bucket). */
  rendered?: string;
  source: string;
}

export const RUNBOOK_THRESHOLDS: RunbookThreshold[] = [
  // RTAP (001), "Alert Thresholds".
  { system: "rtap", alert: "ServiceDown", for: "30s", severity: "critical", source: "001 Service down >30s: page" },
  {
    system: "rtap",
    alert: "MemoryGrowthHigh",
    threshold: 10,
    severity: "warning",
    source: "001 Memory growth >10%/hour",
  },
  { system: "rtap", alert: "CpuUsageWarning", threshold: 50, severity: "warning", source: "001 CPU usage >50%" },
  {
    system: "rtap",
    alert: "LatencyP95High",
    threshold: 0.2,
    for: "5m",
    severity: "critical",
    rendered: "rtap_pipeline_latency_seconds_bucket",
    source: "001 Latency >200ms p95: immediate investigation",
  },
  {
    system: "rtap",
    alert: "QueueUtilisationHigh",
    threshold: 80,
    severity: "warning",
    rendered: "rtap_buffer_utilization_ratio",
    source: "001 Buffer utilization >80%",
  },
  {
    system: "rtap",
    alert: "RtapErrorRateHigh",
    threshold: 0.01,
    for: "5m",
    severity: "critical",
    rendered: "rtap_errors_total",
    source: "001 Error rate >1%",
  },
  // RAVE (002), "Alert Response Procedures" and "Service Level Objectives".
  {
    system: "rave",
    alert: "ServiceDown",
    for: "2m",
    severity: "critical",
    source: "002 rave_system_down: > 2 minutes",
  },
  {
    system: "rave",
    alert: "MemoryUsageWarning",
    threshold: 85,
    for: "5m",
    severity: "warning",
    source: "002 rave_high_memory_usage: > 85% for 5 minutes",
  },
  {
    system: "rave",
    alert: "WebhookErrorsHigh",
    threshold: 10,
    severity: "warning",
    source: "002 rave_webhook_errors: > 10 errors in 5 minutes",
  },
  { system: "rave", alert: "ErrorRateWarning", threshold: 0.1, source: "002 SLO error rate < 0.1%" },
  { system: "rave", alert: "CpuUsageWarning", threshold: 80, source: "002 SLO CPU < 80% average" },
  {
    system: "rave",
    alert: "SloErrorBudgetBurnFast",
    select: 'slo="availability"',
    // 14.4 times the error budget of 99.9 %.
    threshold: 0.0144,
    source: "002 SLO API availability 99.9%",
  },
  {
    system: "rave",
    alert: "SloErrorBudgetBurnFast",
    select: 'slo="latency"',
    // 14.4 times the budget of 99 % within 200 ms (p99 < 200 ms).
    threshold: 0.144,
    rendered: 'http_request_duration_seconds_bucket{job="rave-app",le="0.2"}',
    source: "002 SLO response time p99 < 200ms",
  },
  {
    system: "rave",
    alert: "TlsCertificateExpiringSoon",
    rendered: 'probe_ssl_earliest_cert_expiry{job="blackbox"}',
    source: '002 "SSL Certificate Expiration" of the HTTPS proxy on 3002',
  },
  // C0Di3 (003), "Key Metrics to Monitor".
  {
    system: "c0di3",
    alert: "LatencyP95High",
    threshold: 2,
    severity: "critical",
    source: "003 Response Time (P95) > 2s",
  },
  {
    system: "c0di3",
    alert: "LatencyP95Warning",
    threshold: 1,
    for: "5m",
    severity: "warning",
    source: "003 Response Time (P95) > 1s (warning)",
  },
  { system: "c0di3", alert: "ErrorRateWarning", threshold: 1, severity: "warning", source: "003 Error Rate > 1%" },
  { system: "c0di3", alert: "ErrorRateCritical", threshold: 5, severity: "critical", source: "003 Error Rate > 5%" },
  { system: "c0di3", alert: "CpuUsageWarning", threshold: 70, severity: "warning", source: "003 CPU Usage > 70%" },
  { system: "c0di3", alert: "CpuUsageCritical", threshold: 90, severity: "critical", source: "003 CPU Usage > 90%" },
  {
    system: "c0di3",
    alert: "MemoryUsageWarning",
    threshold: 80,
    severity: "warning",
    source: "003 Memory Usage > 80%",
  },
  {
    system: "c0di3",
    alert: "MemoryUsageCritical",
    threshold: 95,
    severity: "critical",
    source: "003 Memory Usage > 95%",
  },
  {
    system: "c0di3",
    alert: "PostgresConnectionsWarning",
    threshold: 80,
    severity: "warning",
    source: "003 Database Connections > 80% of max",
  },
  {
    system: "c0di3",
    alert: "PostgresConnectionsCritical",
    threshold: 95,
    severity: "critical",
    source: "003 Database Connections > 95% of max",
  },
  { system: "c0di3", alert: "DiskUsageWarning", threshold: 80, severity: "warning", source: "003 Disk Usage > 80%" },
  { system: "c0di3", alert: "DiskUsageCritical", threshold: 90, severity: "critical", source: "003 Disk Usage > 90%" },
  // RTT (000): "Backup Strategy" (daily archives checked by BackupStale) and "High Disk Usage".
  { system: "rtt", alert: "DiskUsageWarning", threshold: 80, source: "000 health check: disk space" },
  { system: "rtt", alert: "BackupStale", source: "000 daily tarballs of .rtt/wal and .rtt/manifests" },
  {
    system: "rtt",
    alert: "JobNotRunning",
    rendered: 'scheduled_job="health-check"',
    source: "000 Automated Health Monitoring: */15 * * * *",
  },
  { system: "rtt", alert: "JobFailed", source: "000 health check fails" },
  {
    system: "c0di3",
    alert: "JobFailed",
    rendered: 'scheduled_job=~"reindex|vacuum-analyze"',
    source: "003 Database Maintenance: VACUUM ANALYZE weekly, REINDEX monthly",
  },
  // T-OPS-01 (004): "Health signals (NATS :8222 ...)" and "Resource envelope (100-300 MB RAM)".
  { system: "t-ops-01", alert: "NatsServerDown", severity: "critical", source: "004 NATS health signal" },
  { system: "t-ops-01", alert: "ProcessMemoryHigh", threshold: 85, source: "004 resource envelope 100-300 MB" },
];
