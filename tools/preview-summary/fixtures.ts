// Preview digests for the summariser's tests, derived from this project's own program: the real
// resources of a stack under Pulumi mocks, before and after a change to its stack file, turned
// into the PreviewDigest shape that `pulumi preview --json` prints. (The engine here cannot run
// a preview, its provider plugins being unavailable, so these are derived, not recorded.)
import { parse as parseYaml, stringify } from "yaml";
import { runProgram, type RecordedResource } from "../../test/support/program";
import { readStackFileText } from "../../test/support/stack-files";
import type { PreviewDigest, PreviewStep } from "./summarize";

/** Docker replaces a container or volume when any of its inputs change. */
const REPLACED_ON_CHANGE = new Set(["docker:index/container:Container", "docker:index/volume:Volume"]);

/** Kubernetes cannot change a StatefulSet's claim templates or selector in place: it is replaced. */
function statefulSetReplaced(a: RecordedResource, b: RecordedResource): boolean {
  if (b.type !== "kubernetes:apps/v1:StatefulSet") return false;
  const pick = (r: RecordedResource) => {
    const spec = (r.inputs.spec ?? {}) as Record<string, unknown>;
    return JSON.stringify([spec.volumeClaimTemplates, spec.selector, spec.serviceName]);
  };
  return pick(a) !== pick(b);
}

function urn(stack: string, r: RecordedResource): string {
  const chain =
    r.type.startsWith("ops-baseline:") || r.type.startsWith("pulumi:")
      ? r.type
      : `ops-baseline:index:Environment$${r.type}`;
  return `urn:pulumi:${stack}::ops-baseline::${chain}::${r.name}`;
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .sort();
}

export function digestBetween(stack: string, before: RecordedResource[], after: RecordedResource[]): PreviewDigest {
  const key = (r: RecordedResource) => `${r.type}::${r.name}`;
  const old = new Map(before.map((r) => [key(r), r]));
  const now = new Map(after.map((r) => [key(r), r]));
  const parent = `urn:pulumi:${stack}::ops-baseline::ops-baseline:index:Environment::${stack}`;
  const state = (r: RecordedResource) => ({ urn: urn(stack, r), type: r.type, inputs: r.inputs, parent });
  const steps: PreviewStep[] = [];
  for (const k of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(k);
    const b = now.get(k);
    if (a && !b) steps.push({ op: "delete", urn: urn(stack, a), oldState: state(a) });
    else if (!a && b) steps.push({ op: "create", urn: urn(stack, b), newState: state(b) });
    else if (a && b) {
      const diff = changedKeys(a.inputs, b.inputs);
      if (diff.length === 0) steps.push({ op: "same", urn: urn(stack, b), oldState: state(a), newState: state(b) });
      else if (REPLACED_ON_CHANGE.has(b.type) || statefulSetReplaced(a, b)) {
        steps.push({
          op: "replace",
          urn: urn(stack, b),
          oldState: state(a),
          newState: state(b),
          diffReasons: diff,
          replaceReasons: diff,
        });
      } else
        steps.push({ op: "update", urn: urn(stack, b), oldState: state(a), newState: state(b), diffReasons: diff });
    }
  }
  const changeSummary: Record<string, number> = {};
  for (const s of steps) changeSummary[s.op] = (changeSummary[s.op] ?? 0) + 1;
  return { steps, changeSummary, diagnostics: [] };
}

export async function resourcesOf(
  stack: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed stack file
  edit?: (config: Record<string, any>) => void,
): Promise<RecordedResource[]> {
  if (!edit) return (await runProgram(stack)).resources;
  const doc = parseYaml(readStackFileText(stack));
  edit(doc.config);
  return (await runProgram(stack, stringify(doc))).resources;
}
