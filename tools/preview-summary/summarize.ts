// Turns `pulumi preview --json` (the engine's PreviewDigest: steps, diagnostics, changeSummary)
// into a Markdown review comment: the risk first, then what changes, grouped by component, the
// alert rules that change (old -> new), and the engine's and policies' messages. Pure.
//
// `pulumi preview --json` leaves policy events out of its digest, so policy violations come from
// the engine's event log (`--event-log`, one JSON event per line) when it is given.
import { parse as parseYaml } from "yaml";

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: ResourceState;
  newState?: ResourceState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
}

export interface ResourceState {
  urn?: string;
  type: string;
  inputs?: Record<string, unknown>;
  parent?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
}

export interface PreviewDigest {
  steps?: PreviewStep[];
  diagnostics?: Array<{ urn?: string; message?: string; severity?: string }>;
  changeSummary?: Record<string, number>;
  duration?: number;
}

export interface PolicyViolation {
  policyPack: string;
  policy: string;
  enforcement: string;
  urn?: string;
  message: string;
}

export type Risk = "high" | "medium" | "low" | "none";
export const RISK_ORDER: Risk[] = ["none", "low", "medium", "high"];

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const CHANGING = new Set([
  "create",
  "update",
  "replace",
  "create-replacement",
  "delete-replaced",
  "delete",
  "discard",
  "import",
]);
const DESTRUCTIVE = new Set(["replace", "create-replacement", "delete-replaced", "delete", "discard"]);

/** Types that hold data: replacing or deleting them can lose it. */
const DATA_TYPES = new Set([
  "docker:index/volume:Volume",
  "kubernetes:core/v1:PersistentVolumeClaim",
  "kubernetes:core/v1:PersistentVolume",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:core/v1:Namespace",
]);

export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

export function urnType(urn: string): string {
  const parts = urn.split("::");
  const chain = parts[parts.length - 2] ?? "";
  return chain.slice(chain.lastIndexOf("$") + 1);
}

/** The component a resource belongs to: its parent's type and name, from the URN's type chain. */
export function componentOf(step: PreviewStep): string {
  const parent = step.newState?.parent ?? step.oldState?.parent;
  if (parent) return `${urnType(parent)} ${urnName(parent)}`;
  const parts = step.urn.split("::");
  const chain = (parts[parts.length - 2] ?? "").split("$");
  return chain.length > 1 ? chain[chain.length - 2] : "(stack)";
}

function labelsOf(state: ResourceState | undefined): Record<string, string> {
  const inputs = unwrapSecret(state?.inputs ?? {}) as Record<string, unknown>;
  const meta = inputs.metadata as { labels?: Record<string, string> } | undefined;
  const out: Record<string, string> = { ...(meta?.labels ?? {}) };
  const list = unwrapSecret(inputs.labels);
  if (Array.isArray(list)) {
    for (const l of list as Array<{ label: string; value: string }>) out[l.label] = l.value;
  } else if (list && typeof list === "object") {
    Object.assign(out, list as Record<string, string>);
  }
  return out;
}

function unwrapSecret(value: unknown): unknown {
  if (value && typeof value === "object" && SECRET_SIG in (value as object)) return "[secret]";
  return value;
}

/** Why replacing or deleting this resource could lose data, or undefined. */
export function dataRisk(step: PreviewStep): string | undefined {
  const state = step.oldState ?? step.newState;
  const type = state?.type ?? urnType(step.urn);
  if (state?.protect) return "protected resource";
  if (type === "kubernetes:core/v1:Namespace") return "namespace (deletes everything in it)";
  if (DATA_TYPES.has(type)) return "holds data";
  const component = labelsOf(state)["app.kubernetes.io/component"];
  if (component === "datastore") return "data store";
  if (component === "backup") return "backup job or destination";
  return undefined;
}

// ---- alert rules inside rendered files ----------------------------------------------------

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  severity: string;
}

/**
 * Alert rules found in a resource's inputs: any Prometheus rule file, whatever its name, in
 * ConfigMap data or Docker uploads (a text with `groups[].rules[].alert`), and the rule groups of
 * a PrometheusRule object (the prometheus-operator's custom resource).
 */
export function alertRulesIn(state: ResourceState | undefined): Map<string, AlertRule> {
  const rules = new Map<string, AlertRule>();
  if (!state?.inputs) return rules;
  const groupLists: unknown[] = [];
  const texts: string[] = [];
  const data = state.inputs.data as Record<string, unknown> | undefined;
  if (data && typeof data === "object") {
    for (const value of Object.values(data)) if (typeof value === "string") texts.push(value);
  }
  const uploads = state.inputs.uploads;
  if (Array.isArray(uploads)) {
    for (const u of uploads as Array<{ content?: unknown }>) if (typeof u.content === "string") texts.push(u.content);
  }
  for (const text of texts) {
    // Only texts that can be rule files are parsed (a cheap test before the YAML parser).
    if (!/\bgroups\s*:/.test(text) || !/\balert\s*:/.test(text)) continue;
    try {
      groupLists.push((parseYaml(text) as { groups?: unknown })?.groups);
    } catch {
      continue;
    }
  }
  if (state.type.endsWith(":PrometheusRule") || state.inputs.kind === "PrometheusRule") {
    groupLists.push((state.inputs.spec as { groups?: unknown } | undefined)?.groups);
  }
  for (const groups of groupLists) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups as Array<{ rules?: Array<Record<string, unknown>> }>) {
      for (const r of Array.isArray(group?.rules) ? group.rules : []) {
        if (typeof r?.alert !== "string") continue;
        const labels = (r.labels ?? {}) as Record<string, string>;
        let key = r.alert;
        for (let i = 2; rules.has(key); i++) key = `${r.alert} #${i}`;
        rules.set(key, {
          alert: r.alert,
          expr: String(r.expr ?? ""),
          for: String(r.for ?? "0s"),
          severity: labels.severity ?? "",
        });
      }
    }
  }
  return rules;
}

/** The comparison at the end of an expression ("> 5", "< 0"), which is the alert's threshold. */
export function thresholdOf(expr: string): string | undefined {
  const m = /([<>]=?|==|!=)\s*(-?[\d.]+(?:e-?\d+)?(?:\s*\*\s*[\d.]+)?)\s*\)?\s*$/.exec(expr.trim());
  return m ? `${m[1]} ${m[2]}` : undefined;
}

export interface AlertChange {
  alert: string;
  change: "added" | "removed or disabled" | "changed";
  details: string[];
  /** Alerting gets weaker: removed, later, less severe, or a higher threshold. */
  weakens: boolean;
}

const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };

export function alertChanges(steps: PreviewStep[]): AlertChange[] {
  const before = new Map<string, AlertRule>();
  const after = new Map<string, AlertRule>();
  for (const s of steps) {
    if (!CHANGING.has(s.op) && s.op !== "same") continue;
    if (s.op !== "create" && s.op !== "create-replacement")
      for (const [k, v] of alertRulesIn(s.oldState ?? s.newState)) before.set(k, v);
    if (s.op !== "delete" && s.op !== "delete-replaced") for (const [k, v] of alertRulesIn(s.newState)) after.set(k, v);
  }
  const changes: AlertChange[] = [];
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(key);
    const now = after.get(key);
    if (!old && now)
      changes.push({ alert: key, change: "added", details: [`${now.severity}, for ${now.for}`], weakens: false });
    else if (old && !now)
      changes.push({ alert: key, change: "removed or disabled", details: [`was ${old.severity}`], weakens: true });
    else if (old && now) {
      const details: string[] = [];
      let weakens = false;
      const [t0, t1] = [thresholdOf(old.expr), thresholdOf(now.expr)];
      if (t0 !== t1) {
        details.push(`threshold ${t0 ?? "?"} -> ${t1 ?? "?"}`);
        const [n0, n1] = [Number(t0?.split(" ")[1]), Number(t1?.split(" ")[1])];
        if (!Number.isNaN(n0) && !Number.isNaN(n1)) weakens ||= t1?.startsWith(">") ? n1 > n0 : n1 < n0;
      } else if (old.expr !== now.expr) details.push("expression changed");
      if (old.for !== now.for) {
        details.push(`for ${old.for} -> ${now.for}`);
        weakens ||= durationSeconds(now.for) > durationSeconds(old.for);
      }
      if (old.severity !== now.severity) {
        details.push(`severity ${old.severity} -> ${now.severity}`);
        weakens ||= (SEVERITY_RANK[now.severity] ?? 0) < (SEVERITY_RANK[old.severity] ?? 0);
      }
      if (details.length > 0) changes.push({ alert: key, change: "changed", details, weakens });
    }
  }
  return changes;
}

function durationSeconds(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    total += Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as Record<string, number>)[m[2]];
  }
  return total;
}

// ---- policy events -----------------------------------------------------------------------

/** Policy violations from an engine event log (`pulumi preview --event-log <file>`). */
export function policyViolations(eventLog: string): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  for (const line of eventLog.split("\n")) {
    if (!line.trim()) continue;
    let event: { policyEvent?: Record<string, string> };
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    const p = event.policyEvent;
    if (!p) continue;
    out.push({
      policyPack: p.policyPackName ?? "",
      policy: p.policyName ?? "",
      enforcement: p.enforcementLevel ?? "advisory",
      urn: p.resourceUrn,
      message: stripColour(p.message ?? ""),
    });
  }
  return out;
}

/** The engine colours policy messages with ANSI escapes; a comment shows plain text. */
function stripColour(text: string): string {
  const ESC = String.fromCharCode(27);
  return text
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, "")))
    .join("")
    .trim();
}

// ---- the report ------------------------------------------------------------------------

export interface SummaryOptions {
  stack?: string;
  maxChars?: number;
  violations?: PolicyViolation[];
}

export interface Summary {
  risk: Risk;
  markdown: string;
  trimmed: number;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function summarize(digest: PreviewDigest, options: SummaryOptions = {}): Summary {
  const steps = (digest.steps ?? []).filter((s) => s.op && s.urn);
  const changing = steps.filter((s) => CHANGING.has(s.op) && urnType(s.urn) !== "pulumi:pulumi:Stack");
  const counts = new Map<string, number>();
  for (const s of changing) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
  // The engine's own count: `--json` lists unchanged resources only partly (often just the
  // stack), while changeSummary counts every one of them.
  const same = digest.changeSummary?.same ?? steps.filter((s) => s.op === "same").length;

  const highRisk = changing
    .filter((s) => DESTRUCTIVE.has(s.op))
    .map((s) => ({ step: s, why: dataRisk(s) }))
    .filter((r): r is { step: PreviewStep; why: string } => r.why !== undefined);
  const alerts = alertChanges(steps);
  const violations = options.violations ?? [];
  const mandatory = violations.filter((v) => v.enforcement === "mandatory");
  const errors = (digest.diagnostics ?? []).filter((d) => d.severity === "error");
  const warnings = (digest.diagnostics ?? []).filter((d) => d.severity === "warning");

  let risk: Risk = changing.length === 0 ? "none" : "low";
  if (changing.some((s) => DESTRUCTIVE.has(s.op)) || alerts.some((a) => a.weakens) || violations.length > 0)
    risk = "medium";
  if (highRisk.length > 0 || mandatory.length > 0 || errors.length > 0) risk = "high";

  const head: string[] = [];
  const title = options.stack ? `Preview of \`${options.stack}\`` : "Preview";
  head.push(`### ${title}: risk **${risk.toUpperCase()}**`, "");
  if (highRisk.length > 0) {
    head.push("**High risk: data may be lost**", "");
    for (const r of highRisk)
      head.push(`- ${r.step.op} \`${urnType(r.step.urn)}\` **${urnName(r.step.urn)}**: ${r.why}${reasons(r.step)}`);
    head.push("");
  }
  if (mandatory.length > 0) {
    head.push("**Mandatory policy violations (the update will be refused)**", "");
    for (const v of mandatory)
      head.push(`- ${v.policy}: ${escapeCell(v.message)}${v.urn ? ` (${urnName(v.urn)})` : ""}`);
    head.push("");
  }
  if (errors.length > 0) {
    head.push("**Errors**", "");
    for (const e of errors) head.push(`- ${escapeCell(e.message ?? "")}`);
    head.push("");
  }
  const countLine = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${n} to ${op}`);
  head.push(
    `${changing.length === 0 ? "No changes" : countLine.join(", ")}${same > 0 ? `; ${same} unchanged` : ""}.`,
    "",
  );

  if (alerts.length > 0) {
    head.push("#### Alert rules", "", "| alert | change | details |", "|---|---|---|");
    for (const a of alerts)
      head.push(`| ${a.alert} | ${a.change}${a.weakens ? " (weaker)" : ""} | ${escapeCell(a.details.join("; "))} |`);
    head.push("");
  }
  if (violations.length > mandatory.length || warnings.length > 0) {
    head.push("#### Policy and engine warnings", "");
    for (const v of violations.filter((x) => x.enforcement !== "mandatory"))
      head.push(`- policy ${v.policy} (${v.enforcement}): ${escapeCell(v.message)}`);
    for (const w of warnings) head.push(`- ${escapeCell(w.message ?? "")}`);
    head.push("");
  }
  const tail = [`Risk: ${risk}`];

  const detail: string[] = [];
  if (changing.length > 0) {
    const byComponent = new Map<string, PreviewStep[]>();
    for (const s of changing) byComponent.set(componentOf(s), [...(byComponent.get(componentOf(s)) ?? []), s]);
    detail.push("#### Changes by component", "");
    for (const [component, list] of [...byComponent.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      detail.push(
        `<details><summary>${escapeCell(component)}: ${list.length} change${list.length === 1 ? "" : "s"}</summary>`,
        "",
      );
      detail.push("| op | type | name | properties |", "|---|---|---|---|");
      for (const s of list.sort((a, b) => urnName(a.urn).localeCompare(urnName(b.urn)))) {
        const props = [
          ...(s.replaceReasons ?? []).map((p) => `${p} (replace)`),
          ...(s.diffReasons ?? []).filter((p) => !(s.replaceReasons ?? []).includes(p)),
        ];
        detail.push(
          `| ${s.op} | \`${urnType(s.urn)}\` | ${escapeCell(urnName(s.urn))} | ${escapeCell(props.join(", "))} |`,
        );
      }
      detail.push("", "</details>", "");
    }
  }

  const limit = options.maxChars ?? 60000;
  const fixed = `${head.join("\n")}\n${tail.join("\n")}\n`;
  const out: string[] = [];
  let used = fixed.length;
  let trimmed = 0;
  for (const line of detail) {
    // Keep room for the note that says what was left out.
    if (used + line.length + 1 > limit - 120) {
      trimmed++;
      continue;
    }
    out.push(line);
    used += line.length + 1;
  }
  const note =
    trimmed > 0
      ? [
          `_${trimmed} lines of detail left out to stay under ${limit} characters; the full preview is in the workflow log._`,
          "",
        ]
      : [];
  const markdown = `${head.join("\n")}\n${out.join("\n")}${out.length ? "\n" : ""}${note.join("\n")}${tail.join("\n")}\n`;
  return { risk, markdown, trimmed };
}

function reasons(step: PreviewStep): string {
  const r = step.replaceReasons ?? [];
  return r.length > 0 ? ` (replaced because ${r.join(", ")} changed)` : "";
}
