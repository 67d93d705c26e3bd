// Reads the repository's real stack files for tests. Encrypted values (`secure: ...`) cannot be
// decrypted without the passphrase, so each one is replaced by a recognisable stand-in
// ("test-secret:<path>") and still counts as encrypted; tests assert that no stand-in leaks into
// plain-text resource inputs or rendered files.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { isPlainObject, type RawConfig } from "../../stacks/config/defaults";
import { ConfigError, loadStackConfig, NAMESPACE, type StackFileInput } from "../../stacks/config/load";
import type { StackConfig } from "../../stacks/config/schema";

/** The repository root (tests run from dist/, two or three levels below it). */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no Pulumi.yaml above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The repository's stacks: every `Pulumi.<stack>.yaml` at its root (any name; `profile` picks defaults). */
export const STACKS: readonly string[] = stackNamesIn(REPO_ROOT);

/** Stack names of the `Pulumi.<stack>.yaml` files in a directory, sorted. */
export function stackNamesIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function secretStandIn(keyPath: string): string {
  return `test-secret:${keyPath}`;
}

function replaceSecure(value: unknown, keyPath: string, found: string[]): unknown {
  if (isPlainObject(value)) {
    if (typeof value.secure === "string" && Object.keys(value).length === 1) {
      found.push(keyPath);
      return secretStandIn(keyPath);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${keyPath}.${k}`, found)]));
  }
  if (Array.isArray(value)) return value.map((v, i) => replaceSecure(v, `${keyPath}.${i}`, found));
  return value;
}

/** The namespace values of a stack file's text, with secure values replaced by stand-ins. */
export function stackFileInputFromText(stack: string, text: string, dir: string = REPO_ROOT): StackFileInput {
  const doc: unknown = parseYaml(text);
  const config = isPlainObject(doc) && isPlainObject(doc.config) ? doc.config : {};
  const values: RawConfig = {};
  const encrypted: string[] = [];
  const otherKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(config)) {
    const [ns, key] = fullKey.split(":");
    if (ns !== NAMESPACE) {
      otherKeys.push(fullKey);
      continue;
    }
    values[key] = replaceSecure(value, key, encrypted);
  }
  const encryptedSecrets = new Set(
    encrypted.filter((p) => p.startsWith("secrets.")).map((p) => p.slice("secrets.".length)),
  );
  return { file: `Pulumi.${stack}.yaml`, stack, values, encryptedSecrets, dir, otherKeys: otherKeys.sort() };
}

export function readStackFileText(stack: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");
}

/** A change to a stack file's parsed `config` map, made in place. */
export type ConfigEdit = (config: Record<string, any>) => void;

/** A repository stack file, after `edit` changed its parsed YAML, as the input of stack `name`. */
export function editedStackInput(stack: string, edit: ConfigEdit = () => {}, name: string = stack): StackFileInput {
  const doc = parseYaml(readStackFileText(stack));
  edit(doc.config);
  return stackFileInputFromText(name, stringify(doc));
}

/** The loader's problem lines (trimmed, without the heading) for a stack file it must refuse. */
export function loaderProblems(input: StackFileInput): string[] {
  try {
    loadStackConfig(input);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message
      .split("\n")
      .slice(1)
      .map((l) => l.trim());
  }
  assert.fail("the stack file was accepted");
}

/** Validated config of the repository's real stack file. */
export function loadRepoStack(stack: string): StackConfig {
  return loadStackConfig(stackFileInputFromText(stack, readStackFileText(stack)));
}

/**
 * The flat config map the engine would hand the program for this stack file, and the keys it
 * would mark secret (for pulumi.runtime.setAllConfig under mocks).
 */
export function engineConfigFor(
  stack: string,
  text = readStackFileText(stack),
): {
  config: Record<string, string>;
  secretKeys: string[];
} {
  const doc: unknown = parseYaml(text);
  const raw = isPlainObject(doc) && isPlainObject(doc.config) ? doc.config : {};
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(raw)) {
    const found: string[] = [];
    const replaced = replaceSecure(value, fullKey.split(":")[1] ?? fullKey, found);
    config[fullKey] = typeof replaced === "string" ? replaced : JSON.stringify(replaced);
    if (found.length > 0) secretKeys.push(fullKey);
  }
  return { config, secretKeys };
}
