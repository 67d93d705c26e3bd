// Stack-file fixtures as overlays: a YAML file whose `config` is merged over one of the
// repository's stack files (objects key by key, anything else replaced), so a fixture says only
// what it adds and still goes through the real loader.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { isPlainObject } from "../../stacks/config/defaults";
import { loadStackConfig } from "../../stacks/config/load";
import type { StackConfig } from "../../stacks/config/schema";
import { readStackFileText, REPO_ROOT, stackFileInputFromText } from "./stack-files";

export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

export function fixturePath(rel: string): string {
  return path.join(REPO_ROOT, "test", "fixtures", rel);
}

/** The text of `stack`'s file with the overlay's config merged over it. */
export function overlaidStackText(stack: string, overlayText: string): string {
  const doc = parseYaml(readStackFileText(stack)) as Record<string, unknown>;
  const overlay = parseYaml(overlayText) as Record<string, unknown>;
  return stringify(deepMerge(doc, overlay));
}

/** Loads `stack` with the overlay merged over it, through the real loader (files relative to the repository). */
export function loadOverlaid(stack: string, overlayText: string): StackConfig {
  return loadStackConfig(stackFileInputFromText(stack, overlaidStackText(stack, overlayText)));
}

export function readFixture(rel: string): string {
  return fs.readFileSync(fixturePath(rel), "utf8");
}
