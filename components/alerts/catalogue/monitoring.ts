// The monitoring pipeline itself: scrape targets, configuration reloads, rule evaluation,
// notification delivery, and the always-firing Watchdog.
import type { AlertDefinition } from "./types";
import { counter, first, gauge, jobMatcher, stateSeries } from "./series";

export const MONITORING_ALERTS: AlertDefinition[] = [
  {
    name: "TargetDown",
    group: "monitoring",
    severity: "critical",
    forSeconds: 120,
    expr: (_, ctx) => [`up{${jobMatcher(ctx.infraJobs)}} == 0`],
    summary: "Scrape target {{ $labels.instance }} of {{ $labels.job }} is down",
    description: "{{ $labels.job }} at {{ $labels.instance }} has not answered scrapes for 2 minutes.",
    runbook: "targetdown",
    test: (_, ctx) => {
      const job = first(ctx.infraJobs, "prometheus");
      const series = `up{job="${job}",instance="${job}:9090"}`;
      return {
        firing: stateSeries(series, 0),
        silent: stateSeries(series, 1),
        steadyMinutes: 0,
        labels: { job, instance: `${job}:9090` },
      };
    },
  },
  ...(
    [
      ["PrometheusConfigReloadFailed", "prometheus_config_last_reload_successful", "prometheus", "prometheus:9090"],
      [
        "AlertmanagerConfigReloadFailed",
        "alertmanager_config_last_reload_successful",
        "alertmanager",
        "alertmanager:9093",
      ],
    ] as const
  ).map(
    ([name, metric, job, instance]): AlertDefinition => ({
      name,
      group: "monitoring",
      severity: "warning",
      forSeconds: 300,
      expr: () => [`max_over_time(${metric}{job="${job}"}[5m]) == 0`],
      summary: `${job} configuration reload failed`,
      description: `${job} at {{ $labels.instance }} kept its old configuration: the new one did not load.`,
      runbook: "configreloadfailed",
      test: () => {
        const series = `${metric}{job="${job}",instance="${instance}"}`;
        return {
          firing: stateSeries(series, 0),
          silent: stateSeries(series, 1),
          steadyMinutes: 5,
          labels: { job, instance },
        };
      },
    }),
  ),
  {
    name: "AlertmanagerNotificationsFailing",
    group: "monitoring",
    severity: "critical",
    forSeconds: 300,
    // Pages go through the very pipeline that fails; the heartbeat receiver (Watchdog) is the
    // second path, and this alert reaches whichever integration still works.
    expr: () => [
      'sum by (job, instance, integration) (rate(alertmanager_notifications_failed_total{job="alertmanager"}[5m])) > 0',
    ],
    summary: "Alertmanager fails to deliver notifications via {{ $labels.integration }}",
    description:
      "Alertmanager at {{ $labels.instance }} could not deliver notifications through {{ $labels.integration }} in the last 5 minutes: pages and tickets are being lost (receiver down, egress blocked, credentials wrong).",
    runbook: "alertmanagernotificationsfailing",
    test: () => {
      const labels = `job="alertmanager",instance="alertmanager:9093",integration="webhook"`;
      return {
        firing: [{ series: `alertmanager_notifications_failed_total{${labels}}`, values: counter(2) }],
        silent: [{ series: `alertmanager_notifications_failed_total{${labels}}`, values: counter(0) }],
        steadyMinutes: 5,
        labels: { job: "alertmanager", instance: "alertmanager:9093", integration: "webhook" },
      };
    },
  },
  {
    name: "PrometheusRuleEvaluationFailures",
    group: "monitoring",
    severity: "critical",
    forSeconds: 300,
    expr: () => [
      'sum by (job, instance, rule_group) (rate(prometheus_rule_evaluation_failures_total{job="prometheus"}[5m])) > 0',
    ],
    summary: "Prometheus fails to evaluate rules of {{ $labels.rule_group }}",
    description:
      "Rules of {{ $labels.rule_group }} failed to evaluate on {{ $labels.instance }} in the last 5 minutes: the alerts in that group cannot fire.",
    runbook: "prometheusruleevaluationfailures",
    test: () => {
      const labels = `job="prometheus",instance="localhost:9090",rule_group="/etc/prometheus/rules/services.yml;services"`;
      return {
        firing: [{ series: `prometheus_rule_evaluation_failures_total{${labels}}`, values: counter(1) }],
        silent: [{ series: `prometheus_rule_evaluation_failures_total{${labels}}`, values: counter(0) }],
        steadyMinutes: 5,
        labels: {
          job: "prometheus",
          instance: "localhost:9090",
          rule_group: "/etc/prometheus/rules/services.yml;services",
        },
      };
    },
  },
  {
    name: "ScrapeTargetMissing",
    group: "monitoring",
    severity: "warning",
    forSeconds: 300,
    // One rule: absent() of each job, joined with `or`, so each missing job fires with its own label.
    expr: (_, ctx) => [[...ctx.serviceJobs, ...ctx.infraJobs].map((job) => `absent(up{job="${job}"})`).join(" or ")],
    summary: "No scrape target for {{ $labels.job }}",
    description: "Prometheus has no target for job {{ $labels.job }}: service discovery found nothing to scrape.",
    runbook: "scrapetargetmissing",
    test: (_, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const upOf = (j: string) => ({ series: `up{job="${j}",instance="${j}:9090"}`, values: gauge(1) });
      const all = [...ctx.serviceJobs, ...ctx.infraJobs];
      // Firing: every job but one reports; only that one is missing.
      return {
        firing: all.filter((j) => j !== job).map(upOf),
        silent: all.map(upOf),
        steadyMinutes: 0,
        labels: { job },
      };
    },
  },
  {
    name: "Watchdog",
    group: "monitoring",
    severity: "info",
    forSeconds: 0,
    expr: () => ["vector(1)"],
    summary: "The alerting pipeline works",
    description:
      "Always firing. Alertmanager routes it to the heartbeat receiver; its absence there means alerts cannot reach anyone.",
    runbook: "watchdog",
    test: () => ({ firing: [], silent: undefined, steadyMinutes: 0, labels: {} }),
  },
];
