// What the operations documents are written from: the validated config, the plan the program
// deploys (workloads, jobs, rendered rule files), the restore procedures the backup concern
// exports, the target's commands, and hand-written runbook text the stack file attaches.
// Pure: the caller reads attached files and hands their text in.
import { parse as parseYaml } from "yaml";
import type { EnvironmentPlan } from "../plan";
import { ALERT_CATALOGUE, type AlertDefinition } from "../../components/alerts/catalogue";
import { runbookAnchor, type Severity } from "../../components/alerts/config";
import { effectiveAlerts } from "../../components/alerts/rules";
import { BURN_ALERTS } from "../../components/alerts/slo";
import { restoreProcedures, type RestoreProcedure } from "../../components/backup/restore";
import type { ScheduledJob, Workload } from "../../components/workloads/model";
import { targetCommands, type TargetCommands } from "./commands";

export interface Attachments {
  /** Runbook text by service or data store name. */
  workloads: Record<string, string>;
  /** Runbook text by alert name. */
  alerts: Record<string, string>;
}

export interface DocsInput {
  /** The Pulumi stack name (Docker object names carry it). */
  stack: string;
  /** The stack file, relative to the repository root, as the docs name it. */
  stackFile: string;
  plan: EnvironmentPlan;
  attachments: Attachments;
  /** The command that regenerates these documents. */
  regenerate: string;
}

export interface DocAlert {
  name: string;
  anchor: string;
  /** Older anchors of the hand-written runbook that lead to this section too. */
  legacyAnchors: string[];
  group: string;
  severity: Severity;
  /** As rendered, e.g. "5m"; absent when the alert fires at once. */
  for?: string;
  threshold?: string;
  exprs: string[];
  summary: string;
  description: string;
  runbookUrl: string;
  definition?: AlertDefinition;
}

export interface DocModel {
  input: DocsInput;
  config: EnvironmentPlan["config"];
  cmd: TargetCommands;
  workloads: Workload[];
  jobs: ScheduledJob[];
  services: Workload[];
  dataStores: Workload[];
  byName: Map<string, Workload>;
  alerts: DocAlert[];
  restores: RestoreProcedure[];
}

interface RuleDoc {
  groups: Array<{
    name: string;
    rules: Array<{
      alert?: string;
      expr: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>;
  }>;
}

/** The alerts of the rule files the stack actually renders, one entry per alert name. */
export function renderedAlerts(plan: EnvironmentPlan): DocAlert[] {
  if (!plan.monitoring) return [];
  const effective = new Map(effectiveAlerts(plan.config.alerts).map((a) => [a.name, a]));
  const byName = new Map<string, DocAlert>();
  const files = plan.monitoring.ruleFiles.map((f) => parseYaml(f.content) as RuleDoc);
  // An older anchor never shadows an alert's own section.
  const legacyTaken = new Set(
    files.flatMap((d) => d.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [runbookAnchor(r.alert)] : [])))),
  );
  for (const doc of files) {
    for (const group of doc.groups) {
      for (const rule of group.rules) {
        if (!rule.alert) continue;
        const existing = byName.get(rule.alert);
        if (existing) {
          existing.exprs.push(rule.expr);
          continue;
        }
        const eff = effective.get(rule.alert);
        const definition = ALERT_CATALOGUE.find((d) => d.name === rule.alert);
        const burn = BURN_ALERTS.find((b) => b.name === rule.alert);
        const legacy = definition?.runbook ?? (burn ? "slo-error-budget-burn" : undefined);
        const legacyAnchors =
          legacy && legacy !== runbookAnchor(rule.alert) && !legacyTaken.has(legacy) ? [legacy] : [];
        legacyAnchors.forEach((a) => legacyTaken.add(a));
        byName.set(rule.alert, {
          name: rule.alert,
          anchor: runbookAnchor(rule.alert),
          legacyAnchors,
          group: definition?.group ?? (burn ? "slo" : group.name.replace(/^ops-baseline-/, "")),
          severity: (rule.labels?.severity ?? "warning") as Severity,
          for: rule.for,
          threshold:
            eff && definition?.threshold !== undefined
              ? `${eff.threshold} ${definition.unit ?? ""}`.trim()
              : burn
                ? burn.pairs
                    .map(([f, long, short]) => `${f}x the sustainable burn rate over ${long} and ${short}`)
                    .join("; or ")
                : undefined,
          exprs: [rule.expr],
          summary: rule.annotations?.summary ?? "",
          description: rule.annotations?.description ?? "",
          runbookUrl: rule.annotations?.runbook_url ?? "",
          definition,
        });
      }
    }
  }
  return [...byName.values()];
}

export function buildModel(input: DocsInput): DocModel {
  const { plan } = input;
  const cmd = targetCommands({ config: plan.config, stack: input.stack, workloads: plan.workloads, jobs: plan.jobs });
  return {
    input,
    config: plan.config,
    cmd,
    workloads: plan.workloads,
    jobs: plan.jobs,
    services: plan.workloads.filter((w) => w.role === "service"),
    dataStores: plan.workloads.filter((w) => w.role === "datastore"),
    byName: new Map(plan.workloads.map((w) => [w.name, w])),
    alerts: renderedAlerts(plan),
    restores: restoreProcedures(plan.config),
  };
}
