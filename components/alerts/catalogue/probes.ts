// Whether a service answers at all: its scrape target (`up`), the blackbox probe of its health
// endpoint, and the TLS certificate that probe sees.
import type { AlertDefinition } from "./types";
import { first, gauge, jobMatcher, stateSeries } from "./series";

export const PROBE_ALERTS: AlertDefinition[] = [
  {
    name: "ServiceDown",
    group: "services",
    severity: "critical",
    forSeconds: 30,
    // A crashed replica stays a target (discovery lists pods that are not ready) and reports
    // up == 0; a service with no target at all (scaled to zero, every pod gone, a stopped
    // container dropped from Docker's DNS) has no `up` series, which absent() catches. Both sides
    // yield the labels {job} only, so when a dead target moves from the first case to the second
    // its pending alert keeps its `for` timer instead of starting over.
    expr: (_, ctx) => [
      [
        `count by (job) (up{${jobMatcher(ctx.serviceJobs)}} == 0)`,
        ...ctx.serviceJobs.map((job) => `absent(up{job="${job}"})`),
      ].join(" or "),
    ],
    summary: "{{ $labels.job }} is down",
    description:
      "Prometheus cannot scrape an instance of {{ $labels.job }}, or finds no instance of it at all; the service is down, scaled to zero or unreachable.",
    runbook: "servicedown",
    test: (_, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const series = `up{job="${job}",instance="${job}:3000"}`;
      // The other services report, so only this one's instance fires.
      const others = ctx.serviceJobs
        .filter((j) => j !== job)
        .flatMap((j) => stateSeries(`up{job="${j}",instance="${j}:3000"}`, 1));
      return {
        firing: [...stateSeries(series, 0), ...others],
        silent: [...stateSeries(series, 1), ...others],
        steadyMinutes: 0,
        labels: { job },
      };
    },
  },
  {
    name: "ProbeFailing",
    group: "services",
    severity: "critical",
    forSeconds: 60,
    expr: () => [`probe_success{job="blackbox"} == 0`],
    summary: "Probe of {{ $labels.instance }} is failing",
    description:
      "The blackbox exporter cannot get a healthy answer from {{ $labels.instance }} ({{ $labels.service }}).",
    runbook: "probefailing",
    test: (_, ctx) => {
      const service = first(ctx.serviceJobs, "api");
      const labels = { job: "blackbox", instance: `http://${service}:3000/health`, service };
      const series = `probe_success{job="blackbox",instance="${labels.instance}",service="${service}"}`;
      return { firing: stateSeries(series, 0), silent: stateSeries(series, 1), steadyMinutes: 0, labels };
    },
  },
  ...(
    [
      ["TlsCertificateExpiringSoon", "warning", 14],
      ["TlsCertificateExpiryCritical", "critical", 3],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: "TlsCertificateExpiry",
      group: "services",
      severity,
      forSeconds: 600,
      threshold,
      unit: "days",
      expr: (t) => [`probe_ssl_earliest_cert_expiry{job="blackbox"} - time() < ${t} * 86400`],
      summary: "TLS certificate of {{ $labels.instance }} expires soon",
      description: "The certificate served at {{ $labels.instance }} expires within the threshold; renew it.",
      runbook: "tlscertificateexpiring",
      test: (t, ctx) => {
        const service = first(ctx.serviceJobs, "api");
        const instance = `https://${service}:3000/health`;
        const at = 11; // when the test looks: `for` (10 min) + 1 min
        const series = (daysLeft: number) => [
          {
            series: `probe_ssl_earliest_cert_expiry{job="blackbox",instance="${instance}",service="${service}"}`,
            values: gauge(at * 60 + daysLeft * 86400),
          },
        ];
        return {
          firing: series(t / 2),
          silent: series(t * 2),
          steadyMinutes: 0,
          labels: { job: "blackbox", instance, service },
        };
      },
    }),
  ),
];
