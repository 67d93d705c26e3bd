// Building blocks of the catalogue's expressions and of the test series fed to promtool.
import type { ResolvedSignals } from "../signals";
import type { AlertContext, InputSeries } from "./types";

export const HORIZON = 240;

/** Counter increasing by `perMinute` each minute for `minutes`, in promtool's series notation. */
export function counter(perMinute: number, minutes = HORIZON): string {
  return `0+${round(perMinute)}x${minutes}`;
}

export function gauge(value: number, minutes = HORIZON): string {
  return `${round(value)}+0x${minutes}`;
}

export function round(n: number): string {
  return Number(n.toPrecision(12)).toString();
}

/** A level just past an upper threshold, halfway to the ceiling where there is one. */
export function above(threshold: number, ceiling?: number): number {
  return ceiling === undefined ? threshold * 1.1 : Math.min(threshold * 1.1, threshold + (ceiling - threshold) / 2);
}
export const inside = (threshold: number) => threshold * 0.9;

export const first = (jobs: string[], fallback: string) => jobs[0] ?? fallback;

export function jobMatcher(jobs: string[]): string {
  return jobs.length === 1 ? `job="${jobs[0]}"` : `job=~"${jobs.join("|")}"`;
}

export const stateSeries = (series: string, value: number): InputSeries[] => [{ series, values: gauge(value) }];

/** Service jobs that share one signal (same metric, labels, filters), each set rendered as one rule. */
export function signalGroups<K extends keyof ResolvedSignals>(
  ctx: AlertContext,
  key: K,
): Array<{ jobs: string[]; signal: NonNullable<ResolvedSignals[K]> }> {
  const groups = new Map<string, { jobs: string[]; signal: NonNullable<ResolvedSignals[K]> }>();
  for (const job of ctx.serviceJobs) {
    const signal = ctx.signals[job]?.[key];
    if (!signal) continue;
    const id = JSON.stringify(signal);
    const group = groups.get(id) ?? { jobs: [], signal: signal as NonNullable<ResolvedSignals[K]> };
    group.jobs.push(job);
    groups.set(id, group);
  }
  return [...groups.values()];
}

/**
 * A test series' labels: job and instance, then every label the metric declares (a fixed value
 * unless `values` gives one), so the series looks like what the service exposes.
 */
export function seriesLabels(job: string, declared: string[], values: Record<string, string> = {}): string {
  const labels: Record<string, string> = { job, instance: `${job}:3000` };
  for (const l of declared) labels[l] = values[l] ?? "x";
  for (const [l, v] of Object.entries(values)) labels[l] ??= v;
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;
}

/** The labels of a test series that an expression without aggregation keeps. */
export function declaredLabelValues(job: string, declared: string[]): Record<string, string> {
  return { job, instance: `${job}:3000`, ...Object.fromEntries(declared.map((l) => [l, "x"])) };
}
