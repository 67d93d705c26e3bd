// A service's HTTP signals: request latency (its latency histogram) and error rate (its request
// counter and error label), as each service declares them (../signals.ts). Services that share a
// signal share one rule; probe and scrape paths are left out by the signal's path matcher.
import { pathMatcher, type LatencySignal, type RequestSignal } from "../signals";
import type { AlertDefinition, InputSeries } from "./types";
import { above, counter, inside, jobMatcher, seriesLabels, signalGroups } from "./series";

/** Requests of `job`, a share `ratio` of them errors; plus failing probes that must not count. */
function errorRatioSeries(job: string, s: RequestSignal, ratio: number, withProbes: boolean): InputSeries[] {
  const total = 1000;
  const of = (path: string, error: boolean) =>
    seriesLabels(job, s.labels, {
      ...(s.path ? { [s.path.label]: path } : {}),
      [s.errorLabel]: error ? s.errorExample : s.okExample,
    });
  const series = [
    { series: `${s.series}${of("/api/work", false)}`, values: counter(total * (1 - ratio)) },
    { series: `${s.series}${of("/api/work", true)}`, values: counter(total * ratio) },
  ];
  // As many failing probe requests as real ones: counted, they would push any threshold over.
  if (withProbes && s.path) {
    for (const p of s.path.exclude) series.push({ series: `${s.series}${of(p, true)}`, values: counter(total) });
  }
  return series;
}

/** Every request of `job` falls into the bucket whose upper bound is `upper` (probes: the slowest). */
export function latencySeries(
  job: string,
  s: LatencySignal,
  upper: number,
  withProbes = false,
  perMinute = 600,
): InputSeries[] {
  const of = (path: string, le: string) =>
    seriesLabels(job, s.labels, { ...(s.path ? { [s.path.label]: path } : {}), le });
  const buckets = (path: string, at: number) =>
    [...s.buckets.map(String), "+Inf"].map((le) => ({
      series: `${s.metric}_bucket${of(path, le)}`,
      values: counter(le === "+Inf" || Number(le) >= at ? perMinute : 0),
    }));
  return [
    ...buckets("/api/work", upper),
    ...(withProbes && s.path ? s.path.exclude.flatMap((p) => buckets(p, Infinity)) : []),
  ];
}

export function bucketAbove(buckets: number[], threshold: number): number {
  const next = buckets.find((b) => b > threshold);
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
    expr: (t, ctx) =>
      signalGroups(ctx, "latency").map(
        ({ jobs, signal: s }) =>
          `histogram_quantile(0.95, sum by (job, le) (rate(${s.metric}_bucket{${jobMatcher(jobs)}${pathMatcher(s.path)}}[5m]))) > ${t}`,
      ),
    summary: "{{ $labels.job }} p95 latency is above its threshold",
    description:
      "The 95th percentile of request duration of {{ $labels.job }} has been above the threshold for 5 minutes.",
    runbook: "latencyp95high",
    test: (t, ctx) =>
      signalGroups(ctx, "latency").map(({ jobs: [job], signal: s }) => {
        const below = [...s.buckets].reverse().find((b) => b <= t) ?? s.buckets[0];
        return {
          firing: latencySeries(job, s, bucketAbove(s.buckets, t)),
          silent: latencySeries(job, s, below, true),
          steadyMinutes: 5,
          labels: { job },
        };
      }),
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
      expr: (t, ctx) =>
        signalGroups(ctx, "requests").map(({ jobs, signal: s }) => {
          const sel = `${jobMatcher(jobs)}${pathMatcher(s.path)}`;
          return `sum by (job) (rate(${s.series}{${sel},${s.errorLabel}=~${JSON.stringify(s.errorMatch)}}[5m])) / sum by (job) (rate(${s.series}{${sel}}[5m])) * 100 > ${t}`;
        }),
      summary: "{{ $labels.job }} error rate is above its threshold",
      description: "More than the allowed share of requests to {{ $labels.job }} end in an error (5-minute rate).",
      runbook: "errorrate",
      test: (t, ctx) =>
        signalGroups(ctx, "requests").map(({ jobs: [job], signal: s }) => ({
          firing: errorRatioSeries(job, s, above(t, 100) / 100, false),
          silent: errorRatioSeries(job, s, inside(t) / 100, true),
          steadyMinutes: 5,
          labels: { job },
        })),
    }),
  ),
];
