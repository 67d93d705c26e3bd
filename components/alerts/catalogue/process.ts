// A service's own gauges and counters: resident memory against its limit and its growth, queue
// utilisation, webhook delivery errors.
import type { AlertDefinition, InputSeries } from "./types";
import type { GaugeSignal } from "../signals";
import {
  above,
  counter,
  declaredLabelValues,
  inside,
  jobMatcher,
  round,
  seriesLabels,
  signalGroups,
  stateSeries,
  HORIZON,
} from "./series";

/** Resident memory growing linearly so that at minute `at` it is `ratio` above an hour before. */
function growthSeries(job: string, m: GaugeSignal, ratio: number, at: number): InputSeries[] {
  const base = 1e9;
  // (r(at) - r(at-60)) / r(at-60) = 60 s / (base + s (at - 60)) = ratio
  const slope = (ratio * base) / (60 - ratio * (at - 60));
  return [{ series: `${m.metric}${seriesLabels(job, m.labels)}`, values: `${base}+${round(slope)}x${HORIZON}` }];
}

export const PROCESS_ALERTS: AlertDefinition[] = [
  {
    name: "ProcessMemoryHigh",
    group: "services",
    severity: "warning",
    forSeconds: 300,
    threshold: 85,
    unit: "percent of the memory limit",
    expr: (t, ctx) =>
      signalGroups(ctx, "memory").map(
        ({ jobs, signal: m }) =>
          `${m.metric}{${jobMatcher(jobs)}} / on (job) group_left ops_baseline:memory_limit_bytes * 100 > ${t}`,
      ),
    summary: "{{ $labels.job }} uses most of its memory limit",
    description:
      "Resident memory of {{ $labels.instance }} has been above the threshold share of its limit for 5 minutes.",
    runbook: "processmemoryhigh",
    test: (t, ctx) =>
      signalGroups(ctx, "memory").map(({ jobs: [job], signal: m }) => {
        const limit = ctx.memoryLimits[job] ?? 256 * 1024 ** 2;
        const series = `${m.metric}${seriesLabels(job, m.labels)}`;
        return {
          firing: stateSeries(series, (limit * above(t, 100)) / 100),
          silent: stateSeries(series, (limit * inside(t)) / 100),
          steadyMinutes: 0,
          labels: declaredLabelValues(job, m.labels),
        };
      }),
  },
  {
    name: "MemoryGrowthHigh",
    group: "services",
    severity: "warning",
    forSeconds: 900,
    threshold: 10,
    unit: "percent per hour",
    expr: (t, ctx) =>
      signalGroups(ctx, "memory").map(({ jobs, signal: m }) => {
        const sel = `${m.metric}{${jobMatcher(jobs)}}`;
        return `(${sel} - ${sel} offset 1h) / ${sel} offset 1h * 100 > ${t}`;
      }),
    summary: "{{ $labels.job }} memory is growing fast",
    description:
      "Resident memory of {{ $labels.instance }} grew by more than the threshold within the last hour; a leak is likely.",
    runbook: "memorygrowthhigh",
    test: (t, ctx) =>
      signalGroups(ctx, "memory").map(({ jobs: [job], signal: m }) => {
        // The growth ratio falls over time on a linear series: pin it at the moment the test looks.
        const at = 60 + 15 + 1;
        return {
          firing: growthSeries(job, m, above(t) / 100, at),
          silent: growthSeries(job, m, inside(t) / 100, at),
          steadyMinutes: 60,
          labels: declaredLabelValues(job, m.labels),
        };
      }),
  },
  {
    name: "QueueUtilisationHigh",
    group: "services",
    severity: "warning",
    forSeconds: 300,
    threshold: 80,
    unit: "percent",
    expr: (t, ctx) =>
      signalGroups(ctx, "queue").map(({ jobs, signal: m }) => `${m.metric}{${jobMatcher(jobs)}} * 100 > ${t}`),
    summary: "{{ $labels.job }}: a queue or buffer is nearly full",
    description:
      "A utilisation gauge of {{ $labels.instance }} has been above the threshold for 5 minutes; back-pressure is near.",
    runbook: "queueutilisationhigh",
    test: (t, ctx) =>
      signalGroups(ctx, "queue").map(({ jobs: [job], signal: m }) => {
        const series = `${m.metric}${seriesLabels(job, m.labels)}`;
        return {
          firing: stateSeries(series, above(t, 100) / 100),
          silent: stateSeries(series, inside(t) / 100),
          steadyMinutes: 0,
          labels: declaredLabelValues(job, m.labels),
        };
      }),
  },
  {
    name: "WebhookErrorsHigh",
    group: "services",
    severity: "warning",
    forSeconds: 60,
    threshold: 10,
    unit: "errors in 5 minutes",
    expr: (t, ctx) =>
      signalGroups(ctx, "webhookErrors").map(
        ({ jobs, signal: m }) => `sum by (job) (increase(${m.metric}{${jobMatcher(jobs)}}[5m])) > ${t}`,
      ),
    summary: "{{ $labels.job }} webhook errors",
    description: "More webhook deliveries to {{ $labels.job }} failed in the last 5 minutes than the threshold allows.",
    runbook: "webhookerrorshigh",
    test: (t, ctx) =>
      signalGroups(ctx, "webhookErrors").map(({ jobs: [job], signal: m }) => {
        const series = (perFive: number) => [
          { series: `${m.metric}${seriesLabels(job, m.labels)}`, values: counter(perFive / 5) },
        ];
        return { firing: series(above(t)), silent: series(inside(t)), steadyMinutes: 6, labels: { job } };
      }),
  },
];
