// A service's HTTP signals: request latency (histogram) and error rate (request counter).
import type { AlertDefinition, InputSeries } from "./types";
import { above, counter, first, inside, jobMatcher } from "./series";

function errorRatioSeries(job: string, ratio: number): InputSeries[] {
  const total = 1000;
  return [
    {
      series: `http_requests_total{job="${job}",instance="${job}:3000",method="GET",route="/api/work",status="200"}`,
      values: counter(total * (1 - ratio)),
    },
    {
      series: `http_requests_total{job="${job}",instance="${job}:3000",method="GET",route="/api/work",status="500"}`,
      values: counter(total * ratio),
    },
  ];
}

/** Histogram buckets of the reference API (apps/api/metrics.ts). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10];

/** Every request of `job` falls into the bucket whose upper bound is `upper`. */
function latencySeries(job: string, upper: number, perMinute = 600): InputSeries[] {
  return [...DURATION_BUCKETS.map(String), "+Inf"].map((le) => ({
    series: `http_request_duration_seconds_bucket{job="${job}",instance="${job}:3000",method="GET",route="/api/work",le="${le}"}`,
    values: counter(le === "+Inf" || Number(le) >= upper ? perMinute : 0),
  }));
}

function bucketAbove(threshold: number): number {
  const next = DURATION_BUCKETS.find((b) => b > threshold);
  if (next === undefined) throw new Error(`latency threshold ${threshold}s is above the largest bucket`);
  return next;
}

export const HTTP_ALERTS: AlertDefinition[] = [
  {
    name: "LatencyP95High",
    group: "services",
    severity: "critical",
    forSeconds: 300,
    threshold: 0.2,
    unit: "seconds",
    expr: (t, ctx) => [
      `histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{${jobMatcher(ctx.serviceJobs)}}[5m]))) > ${t}`,
    ],
    summary: "{{ $labels.job }} p95 latency is above its threshold",
    description:
      "The 95th percentile of request duration of {{ $labels.job }} has been above the threshold for 5 minutes.",
    runbook: "latencyp95high",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const below = [...DURATION_BUCKETS].reverse().find((b) => b <= t) ?? DURATION_BUCKETS[0];
      return {
        firing: latencySeries(job, bucketAbove(t)),
        silent: latencySeries(job, below),
        steadyMinutes: 5,
        labels: { job },
      };
    },
  },
  ...(
    [
      ["ErrorRateWarning", "warning", 1],
      ["ErrorRateCritical", "critical", 5],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: name.replace(/(Warning|Critical)$/, ""),
      group: "services",
      severity,
      forSeconds: 300,
      threshold,
      unit: "percent",
      expr: (t, ctx) => [
        `sum by (job) (rate(http_requests_total{${jobMatcher(ctx.serviceJobs)},status=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{${jobMatcher(ctx.serviceJobs)}}[5m])) * 100 > ${t}`,
      ],
      summary: "{{ $labels.job }} error rate is above its threshold",
      description: "More than the allowed share of requests to {{ $labels.job }} end in a 5xx (5-minute rate).",
      runbook: "errorrate",
      test: (t, ctx) => {
        const job = first(ctx.serviceJobs, "api");
        return {
          firing: errorRatioSeries(job, above(t, 100) / 100),
          silent: errorRatioSeries(job, inside(t) / 100),
          steadyMinutes: 5,
          labels: { job },
        };
      },
    }),
  ),
];
