// The JSON Schema of a stack file (Pulumi.<stack>.yaml), generated from the zod schema so that
// editors (yaml-language-server and any other JSON Schema client) complete and check the keys
// the loader accepts. The committed copy is schema/stack-file.schema.json (`npm run schema`
// rewrites it; stacks/config/json-schema.test.ts fails when it differs from this function's
// output).
//
// The zod schema describes the merged config; a stack file is the layer under which the
// profile's defaults are merged (stacks/config/defaults.ts), in Pulumi's stack file shape.
// So the generated schema differs from zod's own JSON Schema in four ways:
// - it describes the whole Pulumi stack file: `config:` with one `ops-baseline:<key>` entry per
//   top-level key, any other namespace left alone, and Pulumi's own top-level keys;
// - a key that either profile's defaults supply is not required (a service's `replicas`, a
//   probe's `period`, the target's `kind`, ...);
// - `environment` is absent: it is the stack name, set by the loader, never by the file;
// - every `secrets` entry is a `secure:` value, since the loader refuses plain-text secrets.
// Cross-key checks (references, host ports, replicas) and zod refinements stay the loader's:
// the JSON Schema accepts every file the loader accepts, and rejects the mistakes an editor can
// show on one key (unknown keys, wrong types, patterns, enums).
import { z } from "zod";
import { ENTRYPOINT_DEFAULTS } from "../../components/entrypoints/config";
import { deepMerge, ENVIRONMENT_DEFAULTS, isPlainObject, type RawConfig } from "./defaults";
import { NAMESPACE } from "./problems";
import { stackConfigSchema } from "./schema";

type JsonSchema = Record<string, unknown>;

/** Where the committed schema lives, relative to the repository root. */
export const STACK_FILE_SCHEMA_PATH = "schema/stack-file.schema.json";

/** Keys of the merged config that a stack file never sets. */
const NOT_IN_FILE = ["environment"];

/** Stands for "every entry of this record" in the defaults skeleton. */
const EVERY = "*";
/** Marks defaults that apply only under a value the file sets (a probe's timings). */
const IF_SET = "?";

/**
 * Every value some profile's defaults supply, in the shape of the config: the union of both
 * profiles, with the defaults merged under each service, data store, entry point and job under
 * EVERY, a probe's timings marked IF_SET, and the values the loader derives from the stack name.
 */
export function defaultsSkeleton(): RawConfig {
  let skeleton: unknown = {};
  for (const profile of Object.values(ENVIRONMENT_DEFAULTS)) {
    skeleton = deepMerge(skeleton, {
      ...profile.config,
      profile: "dev",
      alerts: { runbookBaseUrl: "docs/stacks/<stack>/RUNBOOK.md" },
      services: { [EVERY]: { ...profile.serviceDefaults, health: { [IF_SET]: true, ...profile.probeTimings } } },
      dataStores: { [EVERY]: profile.dataStoreDefaults },
      entrypoints: { [EVERY]: ENTRYPOINT_DEFAULTS },
      jobs: { [EVERY]: profile.jobDefaults },
    });
  }
  // Both target kinds' defaults, and the Kubernetes names derived from the stack name.
  return deepMerge(skeleton, {
    target: { namespace: "ops-baseline-<stack>", clusterMonitoring: { nodeNamespace: "<namespace>-node" } },
  }) as RawConfig;
}

/** Drops from `required` what the defaults supply, walking the schema and the skeleton together. */
function relax(node: unknown, defaults: unknown): unknown {
  if (!isPlainObject(node)) return node;
  const out: JsonSchema = { ...node };
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((branch) => relax(branch, defaults));
  }
  if (!isPlainObject(defaults)) return out;
  if (isPlainObject(out.properties)) {
    const properties: JsonSchema = {};
    for (const [key, value] of Object.entries(out.properties)) properties[key] = relax(value, defaults[key]);
    out.properties = properties;
    if (Array.isArray(out.required)) {
      const required = (out.required as string[]).filter((key) => !supplies(defaults[key]));
      if (required.length > 0) out.required = required;
      else delete out.required;
    }
  } else if (isPlainObject(out.additionalProperties)) {
    // A record: the defaults under EVERY apply to each entry.
    out.additionalProperties = relax(out.additionalProperties, defaults[EVERY]);
  }
  return out;
}

/** A default value, not only the defaults of a record's entries or of a value the file must set. */
function supplies(value: unknown): boolean {
  if (value === undefined) return false;
  return !(isPlainObject(value) && (EVERY in value || IF_SET in value));
}

/** A Pulumi `secure:` value: the ciphertext `pulumi config set --secret` writes. */
const SECURE_VALUE: JsonSchema = {
  type: "object",
  properties: { secure: { type: "string", minLength: 1 } },
  required: ["secure"],
  additionalProperties: false,
  description: "An encrypted value, written by `pulumi config set --secret`.",
};

/** `secrets`: each entry encrypted, or the whole map set as one secret object. */
function secretsSchema(merged: JsonSchema): JsonSchema {
  return {
    description: "Secret values by name; each is set with `pulumi config set --secret --path 'secrets.<name>'`.",
    anyOf: [{ type: "object", propertyNames: merged.propertyNames, additionalProperties: SECURE_VALUE }, SECURE_VALUE],
  };
}

/** The JSON Schema of a stack file, from a zod schema of the merged config (default: the project's). */
export function stackFileJsonSchema(schema: z.ZodType = stackConfigSchema): JsonSchema {
  const merged = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12", unrepresentable: "throw" });
  const { $schema: _dialect, ...rest } = merged as JsonSchema;
  const relaxed = relax(rest, defaultsSkeleton()) as JsonSchema;
  const properties = relaxed.properties as Record<string, JsonSchema>;
  const config: JsonSchema = {};
  for (const [key, value] of Object.entries(properties)) {
    if (NOT_IN_FILE.includes(key)) continue;
    config[`${NAMESPACE}:${key}`] = key === "secrets" ? secretsSchema(value) : value;
  }
  const required = ((relaxed.required as string[] | undefined) ?? [])
    .filter((key) => !NOT_IN_FILE.includes(key))
    .map((key) => `${NAMESPACE}:${key}`);
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: `${NAMESPACE} stack file`,
    description: `A Pulumi stack file (Pulumi.<stack>.yaml) of ${NAMESPACE}: the project's keys under config, each as ${NAMESPACE}:<key>. Generated from stacks/config/schema.ts by \`npm run schema\`; do not edit.`,
    type: "object",
    properties: {
      secretsprovider: { type: "string", description: "The stack's secrets provider (default: the passphrase)." },
      encryptedkey: { type: "string", description: "The data key, encrypted by a cloud secrets provider." },
      encryptionsalt: { type: "string", description: "The passphrase provider's salt." },
      environment: {
        description: "Pulumi ESC environments to import.",
        anyOf: [{ type: "array", items: { type: "string" } }, { type: "object" }],
      },
      config: {
        type: "object",
        description: `The stack's configuration: the project's keys as ${NAMESPACE}:<key>, other namespaces (kubernetes:, docker:, pulumi:) as their owners define them.`,
        properties: config,
        ...(required.length > 0 ? { required } : {}),
        // Every key has a namespace; in the project's namespace only the keys above.
        propertyNames: {
          anyOf: [
            { enum: Object.keys(config) },
            { allOf: [{ pattern: "^[^:]+:." }, { not: { pattern: `^${NAMESPACE}:` } }] },
          ],
        },
      },
    },
    required: ["config"],
    additionalProperties: false,
  };
}

/** The committed file's text: two-space JSON with a final newline. */
export function stackFileJsonSchemaText(schema?: z.ZodType): string {
  return `${JSON.stringify(stackFileJsonSchema(schema), null, 2)}\n`;
}
