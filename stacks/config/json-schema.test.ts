// The stack file's JSON Schema: the committed file is what the zod schema gives, every shipped
// stack file names it and validates against it (with a JSON Schema validator, not zod), and it
// rejects the mistakes an editor should show.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { Validator } from "@cfworker/json-schema";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT, stackFileInputFromText } from "../../test/support/stack-files";
import { STACK_FILE_SCHEMA_PATH, stackFileJsonSchema, stackFileJsonSchemaText } from "./json-schema";
import { loadStackConfig } from "./load";
import { stackConfigSchema } from "./schema";
import { z } from "zod";

const SCHEMA_FILE = path.join(REPO_ROOT, STACK_FILE_SCHEMA_PATH);

/** Every stack file the repository ships: the root's and the examples'. */
function shippedStackFiles(): string[] {
  const inDir = (dir: string) =>
    fs
      .readdirSync(path.join(REPO_ROOT, dir))
      .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
      .map((f) => path.join(dir, f));
  const examples = fs
    .readdirSync(path.join(REPO_ROOT, "examples"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => inDir(path.join("examples", d.name)));
  return [...inDir("."), ...examples].map((f) => path.normalize(f)).sort();
}

function validator(): Validator {
  return new Validator(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")), "2020-12", false);
}

/** The validator's errors for a document, one line each (empty when it validates). */
function errorsOf(doc: unknown, v: Validator = validator()): string[] {
  const result = v.validate(doc);
  return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation}: ${e.error}`);
}

const MINIMAL = {
  config: {
    "ops-baseline:services": {
      api: {
        image: "ghcr.io/ops-baseline/api:0.1.0",
        ports: [{ name: "http", port: 3000 }],
        health: { liveness: { http: "/health" }, readiness: { http: "/ready" } },
      },
    },
    // The backup defaults name these (pgBackRest's cipher, restic's repository password).
    "ops-baseline:secrets": {
      pgbackrestCipherPass: { secure: "v1:abc:def" },
      resticPassword: { secure: "v1:abc:def" },
    },
  },
};

test("the committed JSON Schema is what the zod schema gives (npm run schema rewrites it)", () => {
  assert.ok(fs.existsSync(SCHEMA_FILE), `${STACK_FILE_SCHEMA_PATH} is missing; run: npm run schema`);
  assert.equal(
    fs.readFileSync(SCHEMA_FILE, "utf8"),
    stackFileJsonSchemaText(),
    `${STACK_FILE_SCHEMA_PATH} differs from the zod schema; run: npm run schema`,
  );
});

test("a change to the zod schema changes the generated JSON Schema", () => {
  const extended = stackConfigSchema.extend({ newKey: z.string() });
  assert.notEqual(stackFileJsonSchemaText(extended), stackFileJsonSchemaText());
  const config = stackFileJsonSchema(extended).properties as any;
  assert.deepEqual(config.config.required, ["ops-baseline:services", "ops-baseline:newKey"]);
});

test("the generated schema is deterministic", () => {
  assert.equal(stackFileJsonSchemaText(), stackFileJsonSchemaText());
});

test("every shipped stack file names the schema on its first line, by a path that resolves", () => {
  const files = shippedStackFiles();
  assert.ok(files.length >= 12, `found only ${files.join(", ")}`);
  for (const file of files) {
    const first = fs.readFileSync(path.join(REPO_ROOT, file), "utf8").split("\n")[0];
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    assert.ok(m, `${file}: first line is ${JSON.stringify(first)}, not the yaml-language-server $schema line`);
    assert.equal(path.resolve(REPO_ROOT, path.dirname(file), m[1]), SCHEMA_FILE, `${file} names ${m[1]}`);
  }
});

test("every shipped stack file validates against the JSON Schema", () => {
  const v = validator();
  for (const file of shippedStackFiles()) {
    const doc = parseYaml(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));
    assert.deepEqual(errorsOf(doc, v), [], `${file} does not validate`);
  }
});

test("a file with one service, its probes and the backups' secrets validates, as the loader accepts it over dev's defaults", () => {
  assert.deepEqual(errorsOf(MINIMAL), []);
  assert.doesNotThrow(() => loadStackConfig(stackFileInputFromText("dev", JSON.stringify(MINIMAL))));
  // A key that one profile's defaults supply is optional in the schema (the profile is the stack
  // name, which the file does not know): prod's defaults have no backup repository, dev's do.
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("prod", JSON.stringify(MINIMAL))),
    /backup\.pitr\.repository/,
  );
});

test("the schema rejects what the loader rejects on one key", () => {
  const v = validator();
  const withConfig = (config: Record<string, unknown>) => ({ config: { ...MINIMAL.config, ...config } });
  const api = (extra: Record<string, unknown>) =>
    withConfig({ "ops-baseline:services": { api: { ...MINIMAL.config["ops-baseline:services"].api, ...extra } } });
  const rejected: Array<[string, unknown]> = [
    ["a misspelt project key", withConfig({ "ops-baseline:servcies": {} })],
    ["the environment key (the stack name)", withConfig({ "ops-baseline:environment": "dev" })],
    ["a key without a namespace", withConfig({ services: {} })],
    ["an unknown service key", api({ replica: 2 })],
    ["a wrong type", api({ replicas: "two" })],
    ["an unknown profile", withConfig({ "ops-baseline:profile": "staging" })],
    ["an unknown target kind", withConfig({ "ops-baseline:target": { kind: "nomad" } })],
    ["a plain-text secret", withConfig({ "ops-baseline:secrets": { postgresPassword: "hunter2" } })],
    ["no services", { config: { "ops-baseline:rules": { minReplicas: 1 } } }],
    ["a service without an image", withConfig({ "ops-baseline:services": { api: { health: {} } } })],
    ["a service without health", withConfig({ "ops-baseline:services": { api: { image: "api:1.0" } } })],
    ["a misspelt top-level key", { ...MINIMAL, confg: {} }],
  ];
  for (const [what, doc] of rejected) assert.notDeepEqual(errorsOf(doc, v), [], `${what} validates`);
});

test("the schema accepts other namespaces, encrypted secrets and Pulumi's own keys", () => {
  const doc = {
    secretsprovider: "passphrase",
    encryptionsalt: "v1:abc",
    config: {
      ...MINIMAL.config,
      "kubernetes:context": "prod",
      "ops-baseline:secrets": { postgresPassword: { secure: "v1:abc:def" } },
      "ops-baseline:target": { kind: "kubernetes", namespace: "shop" },
    },
  };
  assert.deepEqual(errorsOf(doc), []);
  const wholeMap = { config: { ...MINIMAL.config, "ops-baseline:secrets": { secure: "v1:abc:def" } } };
  assert.deepEqual(errorsOf(wholeMap), []);
});
