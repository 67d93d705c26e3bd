// A service's own gauges and counters: resident memory against its limit and its growth, queue
// utilisation, webhook delivery errors.
import type { AlertDefinition, InputSeries } from "./types";
import { above, counter, first, inside, jobMatcher, round, stateSeries, HORIZON } from "./series";

/** Resident memory growing linearly so that at minute `at` it is `ratio` above an hour before. */
function growthSeries(job: string, ratio: number, at: number): InputSeries[] {
  const base = 1e9;
  // (r(at) - r(at-60)) / r(at-60) = 60 s / (base + s (at - 60)) = ratio
  const slope = (ratio * base) / (60 - ratio * (at - 60));
  return [
    {
      series: `process_resident_memory_bytes{job="${job}",instance="${job}:3000"}`,
      values: `${base}+${round(slope)}x${HORIZON}`,
    },
  ];
}

export const PROCESS_ALERTS: AlertDefinition[] = [
  {
    name: "ProcessMemoryHigh",
    group: "services",
    severity: "warning",
    forSeconds: 300,
    threshold: 85,
    unit: "percent of the memory limit",
    expr: (t, ctx) => [
      `process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} / on (job) group_left ops_baseline:memory_limit_bytes * 100 > ${t}`,
    ],
    summary: "{{ $labels.job }} uses most of its memory limit",
    description:
      "Resident memory of {{ $labels.instance }} has been above the threshold share of its limit for 5 minutes.",
    runbook: "processmemoryhigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const limit = ctx.memoryLimits[job] ?? 256 * 1024 ** 2;
      const series = `process_resident_memory_bytes{job="${job}",instance="${job}:3000"}`;
      return {
        firing: stateSeries(series, (limit * above(t, 100)) / 100),
        silent: stateSeries(series, (limit * inside(t)) / 100),
        steadyMinutes: 0,
        labels: { job, instance: `${job}:3000` },
      };
    },
  },
  {
    name: "MemoryGrowthHigh",
    group: "services",
    severity: "warning",
    forSeconds: 900,
    threshold: 10,
    unit: "percent per hour",
    expr: (t, ctx) => [
      `(process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} - process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} offset 1h) / process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} offset 1h * 100 > ${t}`,
    ],
    summary: "{{ $labels.job }} memory is growing fast",
    description:
      "Resident memory of {{ $labels.instance }} grew by more than the threshold within the last hour; a leak is likely.",
    runbook: "memorygrowthhigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      // The growth ratio falls over time on a linear series: pin it at the moment the test looks.
      const at = 60 + 15 + 1;
      return {
        firing: growthSeries(job, above(t) / 100, at),
        silent: growthSeries(job, inside(t) / 100, at),
        steadyMinutes: 60,
        labels: { job, instance: `${job}:3000` },
      };
    },
  },
  {
    name: "QueueUtilisationHigh",
    group: "services",
    severity: "warning",
    forSeconds: 300,
    threshold: 80,
    unit: "percent",
    expr: (t, ctx) => [`queue_utilization_ratio{${jobMatcher(ctx.serviceJobs)}} * 100 > ${t}`],
    summary: "{{ $labels.job }} {{ $labels.queue }} is nearly full",
    description:
      "Utilisation of {{ $labels.queue }} in {{ $labels.instance }} has been above the threshold for 5 minutes; back-pressure is near.",
    runbook: "queueutilisationhigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const series = `queue_utilization_ratio{job="${job}",instance="${job}:3000",queue="in_flight"}`;
      return {
        firing: stateSeries(series, above(t, 100) / 100),
        silent: stateSeries(series, inside(t) / 100),
        steadyMinutes: 0,
        labels: { job, instance: `${job}:3000`, queue: "in_flight" },
      };
    },
  },
  {
    name: "WebhookErrorsHigh",
    group: "services",
    severity: "warning",
    forSeconds: 60,
    threshold: 10,
    unit: "errors in 5 minutes",
    expr: (t, ctx) => [`sum by (job) (increase(webhook_errors_total{${jobMatcher(ctx.serviceJobs)}}[5m])) > ${t}`],
    summary: "{{ $labels.job }} webhook errors",
    description: "More webhook deliveries to {{ $labels.job }} failed in the last 5 minutes than the threshold allows.",
    runbook: "webhookerrorshigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const series = (perFive: number) => [
        { series: `webhook_errors_total{job="${job}",instance="${job}:3000"}`, values: counter(perFive / 5) },
      ];
      return { firing: series(above(t)), silent: series(inside(t)), steadyMinutes: 6, labels: { job } };
    },
  },
];
