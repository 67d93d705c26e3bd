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
  for (const event of events(eventLog)) {
    const p = event.policyEvent as Record<string, string> | undefined;
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

/** What one policy pack reported: per policy, on how many resources (or the stack) it passed and failed. */
export interface PolicyPackResult {
  pack: string;
  version: string;
  passed: Map<string, number>;
  failed: Map<string, number>;
}

/**
 * The policy packs' results from an engine event log: the packs the run names (the summary
 * event's `PolicyPacks`) and each pack's per-resource and per-stack analysis summaries
 * (`policyAnalyzeSummaryEvent`, `policyAnalyzeStackSummaryEvent`). An empty list means no pack ran.
 */
export function policyResults(eventLog: string): PolicyPackResult[] {
  const packs = new Map<string, PolicyPackResult>();
  const pack = (name: string, version: string) => {
    const found = packs.get(name) ?? { pack: name, version, passed: new Map(), failed: new Map() };
    if (!found.version && version) found.version = version;
    packs.set(name, found);
    return found;
  };
  const count = (into: Map<string, number>, names: unknown) => {
    for (const n of Array.isArray(names) ? names : []) into.set(String(n), (into.get(String(n)) ?? 0) + 1);
  };
  for (const event of events(eventLog)) {
    const ran = (event.summaryEvent as { PolicyPacks?: Record<string, string> } | undefined)?.PolicyPacks;
    for (const [name, version] of Object.entries(ran ?? {})) pack(name, String(version));
    for (const key of ["policyAnalyzeSummaryEvent", "policyAnalyzeStackSummaryEvent"]) {
      const summary = event[key] as Record<string, unknown> | undefined;
      if (!summary) continue;
      const result = pack(String(summary.policyPackName ?? ""), String(summary.policyPackVersion ?? ""));
      count(result.passed, summary.passed);
      count(result.failed, summary.failed);
    }
  }
  return [...packs.values()].sort((a, b) => a.pack.localeCompare(b.pack));
}

function events(eventLog: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of eventLog.split("\n")) {
    if (!line.trim()) continue;
    try {
      const event: unknown = JSON.parse(line);
      if (event && typeof event === "object") out.push(event as Record<string, unknown>);
    } catch {
      continue;
    }
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

/** GitHub refuses an issue or pull-request comment longer than this. */
export const GITHUB_COMMENT_LIMIT = 65536;

export interface SummaryOptions {
  stack?: string;
  maxChars?: number;
  violations?: PolicyViolation[];
  /** The policy packs' results (policyResults); given, an empty list says no pack ran. */
  policies?: PolicyPackResult[];
}

export interface Summary {
  risk: Risk;
  markdown: string;
  trimmed: number;
}

/** The longest a single line of the report gets (a policy message, an error). */
const MAX_LINE = 2000;

function escapeCell(text: string): string {
  const flat = text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return flat.length > MAX_LINE ? `${flat.slice(0, MAX_LINE - 1)}…` : flat;
}

/** Riskier steps first: data at risk, then other replacements and deletions, updates, creations. */
function stepRank(step: PreviewStep): number {
  if (DESTRUCTIVE.has(step.op)) return dataRisk(step) === undefined ? 1 : 0;
  if (step.op === "update") return 2;
  return 3;
}

function policyLines(packs: PolicyPackResult[] | undefined): string[] {
  if (packs === undefined) return [];
  if (packs.length === 0)
    return [
      "**Policy packs: no results.** The event log names no policy pack: the preview ran without `--policy-pack`, or the pack did not load.",
      "",
    ];
  const lines = ["#### Policy packs", ""];
  for (const p of packs) {
    const policies = [...new Set([...p.passed.keys(), ...p.failed.keys()])].sort();
    const failed = policies.filter((name) => p.failed.has(name));
    const what =
      policies.length === 0
        ? "ran; no per-policy results reported"
        : `${policies.length} policies, ${failed.length === 0 ? "all passed" : `${policies.length - failed.length} passed, ${failed.length} failed: ${failed.map((n) => `${n} (${p.failed.get(n)} resource${p.failed.get(n) === 1 ? "" : "s"})`).join(", ")}`}`;
    lines.push(`- \`${escapeCell(p.pack)}\`${p.version ? ` ${escapeCell(p.version)}` : ""}: ${what}`);
  }
  lines.push("");
  return lines;
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
    .filter((r): r is { step: PreviewStep; why: string } => r.why !== undefined)
    .sort((a, b) => urnName(a.step.urn).localeCompare(urnName(b.step.urn)));
  // Weaker alerting first.
  const alerts = alertChanges(steps).sort((a, b) => Number(b.weakens) - Number(a.weakens));
  const violations = options.violations ?? [];
  const mandatory = violations.filter((v) => v.enforcement === "mandatory");
  const errors = (digest.diagnostics ?? []).filter((d) => d.severity === "error");
  const warnings = (digest.diagnostics ?? []).filter((d) => d.severity === "warning");
  const noPolicies = options.policies !== undefined && options.policies.length === 0;

  let risk: Risk = changing.length === 0 ? "none" : "low";
  if (
    changing.some((s) => DESTRUCTIVE.has(s.op)) ||
    alerts.some((a) => a.weakens) ||
    violations.length > 0 ||
    noPolicies
  )
    risk = "medium";
  if (highRisk.length > 0 || mandatory.length > 0 || errors.length > 0) risk = "high";

  // Every line below in the order of its risk: when the comment would be too long, the lines
  // at the end are the ones left out.
  const lines: string[] = [];
  if (highRisk.length > 0) {
    lines.push("**High risk: data may be lost**", "");
    for (const r of highRisk)
      lines.push(`- ${r.step.op} \`${urnType(r.step.urn)}\` **${urnName(r.step.urn)}**: ${r.why}${reasons(r.step)}`);
    lines.push("");
  }
  if (mandatory.length > 0) {
    lines.push("**Mandatory policy violations (the update will be refused)**", "");
    for (const v of mandatory)
      lines.push(`- ${v.policy}: ${escapeCell(v.message)}${v.urn ? ` (${urnName(v.urn)})` : ""}`);
    lines.push("");
  }
  if (errors.length > 0) {
    lines.push("**Errors**", "");
    for (const e of errors) lines.push(`- ${escapeCell(e.message ?? "")}`);
    lines.push("");
  }
  lines.push(...policyLines(options.policies));
  const countLine = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${n} to ${op}`);
  lines.push(
    `${changing.length === 0 ? "No changes" : countLine.join(", ")}${same > 0 ? `; ${same} unchanged` : ""}.`,
    "",
  );
  if (alerts.length > 0) {
    lines.push("#### Alert rules", "", "| alert | change | details |", "|---|---|---|");
    for (const a of alerts)
      lines.push(`| ${a.alert} | ${a.change}${a.weakens ? " (weaker)" : ""} | ${escapeCell(a.details.join("; "))} |`);
    lines.push("");
  }
  if (violations.length > mandatory.length || warnings.length > 0) {
    lines.push("#### Policy and engine warnings", "");
    for (const v of violations.filter((x) => x.enforcement !== "mandatory"))
      lines.push(`- policy ${v.policy} (${v.enforcement}): ${escapeCell(v.message)}`);
    for (const w of warnings) lines.push(`- ${escapeCell(w.message ?? "")}`);
    lines.push("");
  }
  if (changing.length > 0) {
    const byComponent = new Map<string, PreviewStep[]>();
    for (const s of changing) byComponent.set(componentOf(s), [...(byComponent.get(componentOf(s)) ?? []), s]);
    const rank = (list: PreviewStep[]) => Math.min(...list.map(stepRank));
    lines.push("#### Changes by component", "");
    // The component with the riskiest change first, then by name; within one, riskiest first.
    const components = [...byComponent.entries()].sort(([a, la], [b, lb]) => rank(la) - rank(lb) || a.localeCompare(b));
    for (const [component, list] of components) {
      lines.push(
        `<details><summary>${escapeCell(component)}: ${list.length} change${list.length === 1 ? "" : "s"}</summary>`,
        "",
      );
      lines.push("| op | type | name | properties |", "|---|---|---|---|");
      const sorted = list.sort((a, b) => stepRank(a) - stepRank(b) || urnName(a.urn).localeCompare(urnName(b.urn)));
      for (const s of sorted) {
        const props = [
          ...(s.replaceReasons ?? []).map((p) => `${p} (replace)`),
          ...(s.diffReasons ?? []).filter((p) => !(s.replaceReasons ?? []).includes(p)),
        ];
        lines.push(
          `| ${s.op} | \`${urnType(s.urn)}\` | ${escapeCell(urnName(s.urn))} | ${escapeCell(props.join(", "))} |`,
        );
      }
      lines.push("", "</details>", "");
    }
  }

  const limit = options.maxChars ?? 60000;
  const title = `### ${options.stack ? `Preview of \`${options.stack}\`` : "Preview"}: risk **${risk.toUpperCase()}**`;
  const tail = `Risk: ${risk}`;
  // Room for the title, the tail and the note on what was left out.
  const budget = limit - title.length - tail.length - 200;
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    if (used + line.length + 1 > budget) break;
    kept.push(line);
    used += line.length + 1;
  }
  const trimmed = lines.length - kept.length;
  // An open <details> block is closed, so the note and the risk line show.
  const open = kept.filter((l) => l.startsWith("<details>")).length - kept.filter((l) => l === "</details>").length;
  if (open > 0) kept.push("", "</details>");
  const note =
    trimmed > 0
      ? [
          `_${trimmed} lines left out to stay under ${limit} characters, the least risky ones; the full preview is in the workflow log._`,
          "",
        ]
      : [];
  const markdown = [title, "", ...kept, ...note, tail].join("\n") + "\n";
  return { risk, markdown, trimmed };
}

function reasons(step: PreviewStep): string {
  const r = step.replaceReasons ?? [];
  return r.length > 0 ? ` (replaced because ${r.join(", ")} changed)` : "";
}
