// Alert and recording rules of the team's own (`alerts.custom`, inline or from a file the stack
// file names), with optional promtool unit tests. Their PromQL is parsed at load time with the
// Prometheus project's own grammar (@prometheus-io/lezer-promql), they get the catalogue's labels
// (severity, family: the same routing and inhibition) and a runbook_url to their own section of
// the generated runbook, and their tests join the stack's generated promtool suite.
import { parser } from "@prometheus-io/lezer-promql";
import { z } from "zod";
import { duration } from "../fields";
import { secondsToDuration } from "../workloads/units";
import { runbookUrl } from "./anchors";
import type { PrometheusRule, RuleGroup } from "./rule-types";

// config.ts imports this file for its schema, so its SEVERITIES are not loaded yet here.
const SEVERITIES = ["critical", "warning", "info"] as const;

const ruleName = () =>
  z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*)");

export const customRuleSchema = z
  .strictObject({
    /** An alert (name, severity, summary) or a recording rule (record): exactly one of the two. */
    alert: ruleName().optional(),
    record: ruleName().optional(),
    /** The service the rule is about (its own group; the metrics it reads must be the service's). */
    service: z.string().optional(),
    expr: z.string().min(1),
    for: duration().optional(),
    severity: z.enum(SEVERITIES).optional(),
    /** Alerts of one family (warning and critical of one signal) inhibit each other; default: the name. */
    family: z.string().optional(),
    summary: z.string().min(1).optional(),
    description: z.string().min(1).optional(),
    /** Markdown placed in the alert's section of the generated RUNBOOK.md. */
    runbook: z.string().min(1).optional(),
    labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).default({}),
  })
  .superRefine((r, ctx) => {
    if ((r.alert === undefined) === (r.record === undefined)) {
      ctx.addIssue({ code: "custom", message: "set exactly one of alert: <name> or record: <name>" });
    }
    if (r.alert !== undefined) {
      if (!r.severity) ctx.addIssue({ code: "custom", path: ["severity"], message: "an alert needs a severity" });
      if (!r.summary) ctx.addIssue({ code: "custom", path: ["summary"], message: "an alert needs a summary" });
    } else {
      for (const k of ["for", "severity", "family", "summary", "description", "runbook"] as const) {
        if (r[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: "only an alert has this" });
      }
    }
    for (const k of ["severity", "family"]) {
      if (k in r.labels) ctx.addIssue({ code: "custom", path: ["labels", k], message: `set ${k} as a key of its own` });
    }
  });
export type CustomRule = z.output<typeof customRuleSchema>;

/** A promtool unit test in promtool's own shape; expected labels are the expression's, the rule's are added. */
export const customTestSchema = z.strictObject({
  name: z.string().min(1),
  interval: z.string().default("1m"),
  input_series: z.array(z.strictObject({ series: z.string().min(1), values: z.string().min(1) })).min(1),
  alert_rule_test: z
    .array(
      z.strictObject({
        eval_time: z.string().min(1),
        alertname: z.string().min(1),
        exp_alerts: z.array(z.strictObject({ exp_labels: z.record(z.string(), z.string()).default({}) })).default([]),
      }),
    )
    .min(1),
});
export type CustomTest = z.output<typeof customTestSchema>;

/** What a custom rules file holds (the same as the inline keys). */
export const customFileSchema = z.strictObject({
  rules: z.array(customRuleSchema).default([]),
  tests: z.array(customTestSchema).default([]),
});

export const customAlertsSchema = z.strictObject({
  /** A YAML file relative to the stack file with more `rules` and `tests`. */
  file: z.string().min(1).optional(),
  rules: z.array(customRuleSchema).default([]),
  tests: z.array(customTestSchema).default([]),
});
export type CustomAlerts = z.output<typeof customAlertsSchema>;

export interface PromqlCheck {
  /** The parse error, with the column, if the expression does not parse. */
  error?: string;
  /** Metric names the expression selects. */
  metrics: string[];
}

/** Parses PromQL with the Prometheus project's grammar; reports the first error and the metrics read. */
export function checkPromql(expr: string): PromqlCheck {
  const tree = parser.parse(expr);
  let errorAt: number | undefined;
  const metrics = new Set<string>();
  tree.iterate({
    enter: (node) => {
      if (node.type.isError && errorAt === undefined) errorAt = node.from;
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        metrics.add(expr.slice(node.from, node.to));
      }
    },
  });
  if (errorAt === undefined) return { metrics: [...metrics].sort() };
  const near = expr.slice(errorAt, errorAt + 20);
  return {
    error: `does not parse as PromQL at column ${errorAt + 1}${near ? ` (near ${JSON.stringify(near)})` : " (unexpected end)"}`,
    metrics: [...metrics].sort(),
  };
}

export function customLabels(r: CustomRule): Record<string, string> {
  return { ...r.labels, family: r.family ?? r.alert!, severity: r.severity! };
}

export function customAnnotations(config: { runbookBaseUrl: string }, r: CustomRule): Record<string, string> {
  return {
    description: r.description ?? r.summary!,
    runbook_url: runbookUrl(config, r.alert!),
    summary: r.summary!,
  };
}

/** The rule groups of the custom rules: the stack's own, then one per service, in file order. */
export function customRuleGroups(config: { runbookBaseUrl: string; custom: CustomAlerts }): RuleGroup[] {
  const byGroup = new Map<string, PrometheusRule[]>();
  for (const r of config.custom.rules) {
    const group = r.service ? `ops-baseline-custom-${r.service}` : "ops-baseline-custom";
    const rule: PrometheusRule = r.alert
      ? {
          alert: r.alert,
          expr: r.expr,
          ...(r.for ? { for: secondsToDuration(r.for) } : {}),
          labels: customLabels(r),
          annotations: customAnnotations(config, r),
        }
      : { record: r.record!, expr: r.expr, ...(Object.keys(r.labels).length > 0 ? { labels: r.labels } : {}) };
    byGroup.set(group, [...(byGroup.get(group) ?? []), rule]);
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => (a === "ops-baseline-custom" ? -1 : b === "ops-baseline-custom" ? 1 : a.localeCompare(b)))
    .map(([name, rules]) => ({ name, rules }));
}
