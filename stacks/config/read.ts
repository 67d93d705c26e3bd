// The edge between Pulumi's configuration and the pure loader: collects the namespace's keys
// from the engine, and reads the stack file itself to learn which `secrets` entries are
// encrypted (the engine hands the program decrypted values and cannot tell a plain-text leaf
// inside a structured value from a `secure:` one).
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import type { RawConfig } from "./defaults";
import { isPlainObject } from "./defaults";
import { NAMESPACE, type StackFileInput } from "./load";

/** The namespace's values from a flat Pulumi config map ("ops-baseline:services" -> JSON). */
export function namespaceValues(all: Record<string, string>): RawConfig {
  const values: RawConfig = {};
  for (const [fullKey, raw] of Object.entries(all)) {
    const colon = fullKey.indexOf(":");
    if (fullKey.slice(0, colon) !== NAMESPACE) continue;
    values[fullKey.slice(colon + 1)] = parseValue(raw);
  }
  return values;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The keys of a flat Pulumi config map outside the namespace ("kubernetes:context", "ops-baselin:foo"). */
export function otherNamespaceKeys(all: Record<string, string>): string[] {
  return Object.keys(all)
    .filter((fullKey) => fullKey.slice(0, fullKey.indexOf(":")) !== NAMESPACE)
    .sort();
}

/** Names under `secrets` whose value in the stack file is `{ secure: ... }`. */
export function encryptedSecretNames(stackFileText: string | undefined): Set<string> {
  if (stackFileText === undefined) return new Set();
  const doc: unknown = parseYaml(stackFileText);
  const config = isPlainObject(doc) && isPlainObject(doc.config) ? doc.config : {};
  const secrets = config[`${NAMESPACE}:secrets`];
  const names = new Set<string>();
  if (isPlainObject(secrets) && isPlainObject(secrets.secure) === false && typeof secrets.secure === "string") {
    // The whole map was set as one secret object: every entry is encrypted.
    return new Set(["*"]);
  }
  if (isPlainObject(secrets)) {
    for (const [key, value] of Object.entries(secrets)) {
      if (isPlainObject(value) && typeof value.secure === "string") names.add(key);
    }
  }
  return names;
}

/** Everything the loader needs, read from the running Pulumi program. */
export function readStackFileInput(projectDir: string = process.cwd()): StackFileInput {
  const stack = pulumi.getStack();
  const file = `Pulumi.${stack}.yaml`;
  const filePath = path.join(projectDir, file);
  const text = fs.existsSync(filePath) ? fs.readFileSync(filePath, "utf8") : undefined;
  const all = pulumi.runtime.allConfig();
  const values = namespaceValues(all);
  const encrypted = encryptedSecretNames(text);
  // With no stack file on disk (config passed another way) trust the engine's secret flag.
  const secretKeys = isConfigSecret(`${NAMESPACE}:secrets`);
  const secrets = isPlainObject(values.secrets) ? Object.keys(values.secrets) : [];
  const encryptedSecrets = encrypted.has("*") || (text === undefined && secretKeys) ? new Set(secrets) : encrypted;
  return { file, stack, values, encryptedSecrets, dir: projectDir, otherKeys: otherNamespaceKeys(all) };
}

function isConfigSecret(key: string): boolean {
  // Exported by the runtime module at run time, not in its type declarations.
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  return runtime.isConfigSecret?.(key) ?? false;
}
