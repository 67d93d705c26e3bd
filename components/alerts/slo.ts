// Service level objectives as recording rules and multi-window, multi-burn-rate alerts, with the
// windows and factors of the SRE workbook (chapter "Alerting on SLOs"):
//   page:   14.4x over 1h and 5m, or 6x over 6h and 30m;
//   ticket:  3x  over 1d and 2h, or 1x over 3d and 6h.
import type { AlertContext, AlertTestPlan, InputSeries } from "./catalogue";
import { counter, DURATION_BUCKETS, round } from "./catalogue";
import { runbookUrl, type AlertsConfig, type SloConfig } from "./config";
import type { RuleGroup } from "./rules";

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
}

export function sloTargets(config: AlertsConfig): SloTarget[] {
  const targets: SloTarget[] = [];
  for (const [job, slo] of Object.entries(config.slos).sort(([a], [b]) => a.localeCompare(b))) {
    targets.push({ job, kind: "availability", budget: budgetOf(slo.availability) });
    if (slo.latency) {
      targets.push({ job, kind: "latency", budget: budgetOf(slo.latency.objective), threshold: slo.latency.threshold });
    }
  }
  return targets;
}

function budgetOf(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}

/** Latency thresholds must be histogram bucket bounds, or the SLI cannot be computed exactly. */
export function latencyThresholdProblem(slo: SloConfig): string | undefined {
  if (!slo.latency || DURATION_BUCKETS.includes(slo.latency.threshold)) return undefined;
  return `latency.threshold ${slo.latency.threshold} is not a bucket bound of http_request_duration_seconds; use one of ${DURATION_BUCKETS.join(", ")}`;
}

const sli = (window: string) => `slo:sli_error:ratio_rate${window}`;

function sliExpr(t: SloTarget, window: string): string {
  if (t.kind === "availability") {
    return `sum by (job) (rate(http_requests_total{job="${t.job}",status=~"5.."}[${window}])) / sum by (job) (rate(http_requests_total{job="${t.job}"}[${window}]))`;
  }
  return `1 - (sum by (job) (rate(http_request_duration_seconds_bucket{job="${t.job}",le="${t.threshold}"}[${window}])) / sum by (job) (rate(http_request_duration_seconds_count{job="${t.job}"}[${window}])))`;
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

export function sloRuleGroups(config: AlertsConfig, _ctx: AlertContext): RuleGroup[] {
  const targets = sloTargets(config);
  if (targets.length === 0) return [];
  return [
    {
      name: "ops-baseline-slo-sli",
      rules: targets.flatMap((t) =>
        SLO_WINDOWS.map((w) => ({ record: sli(w), expr: sliExpr(t, w), labels: { slo: t.kind } })),
      ),
    },
    {
      name: "ops-baseline-slo-alerts",
      rules: targets.flatMap((t) =>
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
}

/** Series whose SLI (error fraction) is `fraction` in every window. */
export function sloSeries(t: SloTarget, fraction: number): InputSeries[] {
  const perMinute = 1000;
  const instance = `${t.job}:3000`;
  if (t.kind === "availability") {
    return [
      {
        series: `http_requests_total{job="${t.job}",instance="${instance}",status="200"}`,
        values: counter(perMinute * (1 - fraction)),
      },
      {
        series: `http_requests_total{job="${t.job}",instance="${instance}",status="500"}`,
        values: counter(perMinute * fraction),
      },
    ];
  }
  const threshold = t.threshold!;
  const slowBucket = DURATION_BUCKETS.find((b) => b > threshold) ?? Infinity;
  const fast = perMinute * (1 - fraction);
  return [
    ...[...DURATION_BUCKETS.map(String), "+Inf"].map((le) => {
      const bound = le === "+Inf" ? Infinity : Number(le);
      const count = bound >= slowBucket ? perMinute : bound >= threshold ? fast : 0;
      return {
        series: `http_request_duration_seconds_bucket{job="${t.job}",instance="${instance}",le="${le}"}`,
        values: counter(count),
      };
    }),
    {
      series: `http_request_duration_seconds_count{job="${t.job}",instance="${instance}"}`,
      values: counter(perMinute),
    },
  ];
}

/** Test plan of one burn alert: just past its lowest factor fires, just inside it stays silent. */
export function sloTestPlan(t: SloTarget, alert: (typeof BURN_ALERTS)[number]): AlertTestPlan {
  const lowest = Math.min(...alert.pairs.map(([factor]) => factor));
  return {
    firing: sloSeries(t, lowest * t.budget * 1.1),
    silent: sloSeries(t, lowest * t.budget * 0.9),
    // Both rates of a ratio cover the same samples, so every window shows the level at once.
    steadyMinutes: 1,
    labels: { job: t.job, slo: t.kind },
  };
}
