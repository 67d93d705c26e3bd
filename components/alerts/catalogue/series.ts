// Building blocks of the catalogue's expressions and of the test series fed to promtool.
import type { InputSeries } from "./types";

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
