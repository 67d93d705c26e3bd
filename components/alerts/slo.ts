// Service level objectives as recording rules and multi-window, multi-burn-rate alerts, with the
// windows and factors of the SRE workbook (chapter "Alerting on SLOs"):
//   page:   14.4x over 1h and 5m, or 6x over 6h and 30m;
//   ticket:  3x  over 1d and 2h, or 1x over 3d and 6h.
import { counter, round, seriesLabels } from "./catalogue/series";
import type { AlertContext, AlertTestPlan, InputSeries } from "./catalogue/types";
import { runbookUrl, type AlertsConfig, type SloConfig } from "./config";
import { pathMatcher, type LatencySignal, type RequestSignal, type ResolvedSignals } from "./signals";
import type { RuleGroup } from "./rule-types";

export const SLO_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;

export const BURN_ALERTS = [
  {
    name: "SloErrorBudgetBurnFast",
    severity: "critical",
    forSeconds: 120,
    pairs: [
      [14.4, "1h", "5m"],
      [6, "6h", "30m"],
    ],
  },
  {
    name: "SloErrorBudgetBurnSlow",
    severity: "warning",
    forSeconds: 900,
    pairs: [
      [3, "1d", "2h"],
      [1, "3d", "6h"],
    ],
  },
] as const;

export type SloKind = "availability" | "latency";

export interface SloTarget {
  job: string;
  kind: SloKind;
  /** Allowed error fraction: 1 - objective. */
  budget: number;
  /** Latency threshold in seconds (latency SLOs). */
  threshold?: number;
  /** The signal the SLI reads: the request counter (availability) or the latency histogram. */
  requests?: RequestSignal;
  latency?: LatencySignal;
}

/** The stack's objectives, each with the signal it reads (the loader rejects one without it). */
export function sloTargets(config: AlertsConfig, ctx: Pick<AlertContext, "signals">): SloTarget[] {
  const targets: SloTarget[] = [];
  for (const [job, slo] of Object.entries(config.slos).sort(([a], [b]) => a.localeCompare(b))) {
    const signals = ctx.signals[job] ?? {};
    if (signals.requests) {
      targets.push({ job, kind: "availability", budget: budgetOf(slo.availability), requests: signals.requests });
    }
    if (slo.latency && signals.latency) {
      targets.push({
        job,
        kind: "latency",
        budget: budgetOf(slo.latency.objective),
        threshold: slo.latency.threshold,
        latency: signals.latency,
      });
    }
  }
  return targets;
}

function budgetOf(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}

/**
 * What an objective needs from the service's signals: a request counter for availability, a
 * latency histogram with the threshold as a bucket bound (or the SLI cannot be computed exactly).
 */
export function sloSignalProblems(slo: SloConfig, signals: ResolvedSignals): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (!signals.requests) {
    problems.push({
      path: "availability",
      message: "the service declares no request counter (services.<name>.signals.requests) to compute it from",
    });
  }
  if (slo.latency) {
    const l = signals.latency;
    if (!l) {
      problems.push({
        path: "latency",
        message: "the service declares no latency histogram (services.<name>.signals.latency) to compute it from",
      });
    } else if (!l.buckets.includes(slo.latency.threshold)) {
      problems.push({
        path: "latency.threshold",
        message: `latency.threshold ${slo.latency.threshold} is not a bucket bound of ${l.metric}; use one of ${l.buckets.join(", ")}`,
      });
    }
  }
  return problems;
}

const sli = (window: string) => `slo:sli_error:ratio_rate${window}`;

/**
 * A bucket bound as Prometheus 3 stores it in the `le` label: classic-histogram `le` values are
 * normalised on ingestion to Go's shortest float form with a ".0" for whole numbers ("1" is
 * stored as "1.0", 1e-05 keeps its exponent), so a selector must use that form to match anything.
 */
export function promLe(bound: number): string {
  if (!Number.isFinite(bound)) return bound > 0 ? "+Inf" : "-Inf";
  const exp = bound === 0 ? 0 : Math.floor(Math.log10(Math.abs(bound)));
  let text: string;
  if (exp < -4 || exp >= 21) {
    const [mantissa, e] = bound.toExponential().split("e");
    const sign = e.startsWith("-") ? "-" : "+";
    text = `${mantissa}e${sign}${e.replace(/^[-+]/, "").padStart(2, "0")}`;
  } else {
    text = String(bound);
  }
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function sliExpr(t: SloTarget, window: string): string {
  if (t.kind === "availability") {
    const r = t.requests!;
    const sel = `job="${t.job}"${pathMatcher(r.path)}`;
    return `sum by (job) (rate(${r.series}{${sel},${r.errorLabel}=~${JSON.stringify(r.errorMatch)}}[${window}])) / sum by (job) (rate(${r.series}{${sel}}[${window}]))`;
  }
  const l = t.latency!;
  const sel = `job="${t.job}"${pathMatcher(l.path)}`;
  return `1 - (sum by (job) (rate(${l.metric}_bucket{${sel},le="${promLe(t.threshold!)}"}[${window}])) / sum by (job) (rate(${l.metric}_count{${sel}}[${window}])))`;
}

export function burnExpr(t: SloTarget, pairs: ReadonlyArray<readonly [number, string, string]>): string {
  const sel = `{job="${t.job}",slo="${t.kind}"}`;
  return pairs
    .map(([factor, long, short]) => {
      const limit = round(factor * t.budget);
      return `(${sli(long)}${sel} > ${limit} and ${sli(short)}${sel} > ${limit})`;
    })
    .join(" or ");
}

export function sloAnnotations(config: AlertsConfig, t: SloTarget, alert: (typeof BURN_ALERTS)[number]) {
  const objective = round((1 - t.budget) * 100);
  const what =
    t.kind === "availability"
      ? `${objective} % of requests succeed`
      : `${objective} % of requests finish within ${t.threshold}s`;
  return {
    description: `{{ $labels.job }} is spending its ${t.kind} error budget (objective: ${what}) ${
      alert.severity === "critical" ? "fast enough to exhaust it within days" : "faster than it refills"
    }.`,
    runbook_url: runbookUrl(config, alert.name),
    summary: `{{ $labels.job }} ${t.kind} error budget is burning`,
  };
}

/**
 * The rule groups of each service with objectives (its SLI records, then its burn alerts), by job:
 * each service's go to a file of their own, as rules of one name and the same labels in one file
 * are duplicates to promtool (the job tells them apart only at evaluation).
 */
export function sloRuleGroups(config: AlertsConfig, ctx: AlertContext): Array<{ job: string; groups: RuleGroup[] }> {
  const targets = sloTargets(config, ctx);
  const jobs = [...new Set(targets.map((t) => t.job))];
  return jobs.flatMap((job) => {
    const own = targets.filter((t) => t.job === job);
    const groups = [
      {
        name: "ops-baseline-slo-sli",
        rules: own.flatMap((t) =>
          SLO_WINDOWS.map((w) => ({ record: sli(w), expr: sliExpr(t, w), labels: { slo: t.kind } })),
        ),
      },
      {
        name: "ops-baseline-slo-alerts",
        rules: own.flatMap((t) =>
          BURN_ALERTS.map((a) => ({
            alert: a.name,
            expr: burnExpr(t, a.pairs),
            for: `${a.forSeconds / 60}m`,
            labels: { family: `Slo${t.kind}`, severity: a.severity },
            annotations: sloAnnotations(config, t, a),
          })),
        ),
      },
    ];
    return [{ job, groups }];
  });
}

/** Series whose SLI (error fraction) is `fraction` in every window; probe traffic beside it never counts. */
export function sloSeries(t: SloTarget, fraction: number, withProbes = false): InputSeries[] {
  const perMinute = 1000;
  if (t.kind === "availability") {
    const r = t.requests!;
    const of = (path: string, error: boolean) =>
      `${r.series}${seriesLabels(t.job, r.labels, {
        ...(r.path ? { [r.path.label]: path } : {}),
        [r.errorLabel]: error ? r.errorExample : r.okExample,
      })}`;
    return [
      { series: of("/api/work", false), values: counter(perMinute * (1 - fraction)) },
      { series: of("/api/work", true), values: counter(perMinute * fraction) },
      ...(withProbes && r.path ? r.path.exclude.map((p) => ({ series: of(p, true), values: counter(perMinute) })) : []),
    ];
  }
  const l = t.latency!;
  const threshold = t.threshold!;
  const slowBucket = l.buckets.find((b) => b > threshold) ?? Infinity;
  const fast = perMinute * (1 - fraction);
  const of = (path: string, le?: string) =>
    seriesLabels(t.job, l.labels, { ...(l.path ? { [l.path.label]: path } : {}), ...(le ? { le } : {}) });
  return [
    ...[...l.buckets.map(promLe), "+Inf"].map((le) => {
      const bound = le === "+Inf" ? Infinity : Number(le);
      const count = bound >= slowBucket ? perMinute : bound >= threshold ? fast : 0;
      return { series: `${l.metric}_bucket${of("/api/work", le)}`, values: counter(count) };
    }),
    { series: `${l.metric}_count${of("/api/work")}`, values: counter(perMinute) },
    // Slow probes: every one past the threshold, in the buckets and the count.
    ...(withProbes && l.path
      ? l.path.exclude.flatMap((p) => [
          ...[...l.buckets.map(promLe), "+Inf"].map((le) => ({
            series: `${l.metric}_bucket${of(p, le)}`,
            values: counter(le === "+Inf" ? perMinute : 0),
          })),
          { series: `${l.metric}_count${of(p)}`, values: counter(perMinute) },
        ])
      : []),
  ];
}

/** Test plan of one burn alert: just past its lowest factor fires, just inside it stays silent. */
export function sloTestPlan(t: SloTarget, alert: (typeof BURN_ALERTS)[number]): AlertTestPlan {
  const lowest = Math.min(...alert.pairs.map(([factor]) => factor));
  return {
    firing: sloSeries(t, lowest * t.budget * 1.1),
    silent: sloSeries(t, lowest * t.budget * 0.9, true),
    // Both rates of a ratio cover the same samples, so every window shows the level at once.
    steadyMinutes: 1,
    labels: { job: t.job, slo: t.kind },
  };
}
