// The catalogue, tuned by the stack file, as Prometheus rule files. Pure and deterministic: the
// same config gives byte-identical YAML, so a preview diff only shows real changes.
import { stringify } from "yaml";
import { secondsToDuration } from "../workloads/units";
import { ALERT_CATALOGUE, catalogueNames, type AlertContext, type AlertDefinition } from "./catalogue";
import { runbookUrl, type AlertsConfig, type Severity } from "./config";
import { customRuleGroups } from "./custom";
import type { PrometheusRule, RuleFile, RuleGroup } from "./rule-types";
import { sloRuleGroups } from "./slo";

/** Rules added by other concerns link their alerts with this too: `runbookUrl(config, alertName)`. */
export { runbookUrl };
export type { PrometheusRule, RuleFile, RuleGroup };

/** A catalogue entry with the stack's overrides applied. */
export interface EffectiveAlert {
  definition: AlertDefinition;
  name: string;
  severity: Severity;
  forSeconds: number;
  threshold: number;
  disabled: boolean;
}

/** Names in `overrides` that are not in the catalogue, for the config loader's message. */
export function unknownOverrides(config: AlertsConfig): string[] {
  const known = new Set(catalogueNames());
  return Object.keys(config.overrides).filter((name) => !known.has(name));
}

export function effectiveAlerts(config: AlertsConfig): EffectiveAlert[] {
  return ALERT_CATALOGUE.map((definition) => {
    const o = config.overrides[definition.name] ?? {};
    return {
      definition,
      name: definition.name,
      severity: o.severity ?? definition.severity,
      forSeconds: o.for ?? definition.forSeconds,
      threshold: o.threshold ?? definition.threshold ?? 0,
      disabled: o.disabled ?? false,
    };
  });
}

/** The alert's rule labels: its severity and the family that inhibition matches on. */
export function ruleLabels(alert: EffectiveAlert): Record<string, string> {
  return { family: alert.definition.family ?? alert.name, severity: alert.severity };
}

export function ruleAnnotations(config: AlertsConfig, alert: EffectiveAlert): Record<string, string> {
  const d = alert.definition;
  const threshold = d.threshold === undefined ? "" : ` Threshold: ${alert.threshold} ${d.unit}.`;
  return {
    description: `${d.description}${threshold}`,
    runbook_url: runbookUrl(config, alert.name),
    summary: d.summary,
  };
}

/**
 * One rule per alert: the expressions of services that read different metrics are joined with
 * `or` (each keeps its job label), since two rules of one name and labels in a group are
 * duplicates to promtool.
 */
function alertRules(config: AlertsConfig, alert: EffectiveAlert, ctx: AlertContext): PrometheusRule[] {
  const exprs = alert.definition.expr(alert.threshold, ctx);
  if (exprs.length === 0) return [];
  const expr = exprs.length === 1 ? exprs[0] : exprs.map((e) => `(${e})`).join(" or ");
  return [expr].map((expr) => ({
    alert: alert.name,
    expr,
    for: alert.forSeconds > 0 ? secondsToDuration(alert.forSeconds) : undefined,
    labels: ruleLabels(alert),
    annotations: ruleAnnotations(config, alert),
  }));
}

/** Recording rules the catalogue's expressions rely on. */
function supportRules(ctx: AlertContext): RuleGroup {
  return {
    name: "ops-baseline-support",
    rules: Object.entries(ctx.memoryLimits)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([job, bytes]) => ({
        record: "ops_baseline:memory_limit_bytes",
        expr: `vector(${bytes})`,
        labels: { job },
      })),
  };
}

export function ruleGroups(config: AlertsConfig, ctx: AlertContext): Map<string, RuleGroup[]> {
  const files = new Map<string, RuleGroup[]>();
  const add = (file: string, group: RuleGroup) => files.set(file, [...(files.get(file) ?? []), group]);
  const byGroup = new Map<string, PrometheusRule[]>();
  for (const alert of effectiveAlerts(config)) {
    if (alert.disabled) continue;
    const rules = alertRules(config, alert, ctx);
    if (rules.length === 0) continue;
    byGroup.set(alert.definition.group, [...(byGroup.get(alert.definition.group) ?? []), ...rules]);
  }
  for (const [group, rules] of [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    add(`${group}.rules.yml`, { name: `ops-baseline-${group}`, rules });
  }
  add("support.rules.yml", supportRules(ctx));
  for (const group of customRuleGroups(config)) add("custom.rules.yml", group);
  for (const { job, groups } of sloRuleGroups(config, ctx)) {
    for (const group of groups) add(`slo-${job}.rules.yml`, group);
  }
  return files;
}

/** YAML with the keys in a fixed order, and no anchors or line folding. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, sortMapEntries: false });
}

export function renderRuleFiles(config: AlertsConfig, ctx: AlertContext): RuleFile[] {
  const files = ruleGroups(config, ctx);
  return [...files.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, groups]) => ({ name, content: toYaml({ groups: groups.map(cleanGroup) }) }));
}

function cleanGroup(group: RuleGroup): RuleGroup {
  return {
    name: group.name,
    rules: group.rules.map(
      (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as PrometheusRule,
    ),
  };
}
