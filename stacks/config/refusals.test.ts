// What the platform would refuse at deploy is refused at load, one test per class, each showing
// the loader's line: the file, the key and what would be right.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { parseSize } from "../../components/workloads/units";
import { readStackFileText, stackFileInputFromText } from "../../test/support/stack-files";
import { ConfigError, loadStackConfig } from "./load";

function problemsOf(stack: string, edit: (config: Record<string, any>) => void): string[] {
  const doc = parseYaml(readStackFileText(stack));
  edit(doc.config);
  try {
    loadStackConfig(stackFileInputFromText(stack, stringify(doc)));
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message
      .split("\n")
      .slice(1)
      .map((l) => l.trim());
  }
  assert.fail("the stack file was accepted");
}

const api = (c: Record<string, any>) => c["ops-baseline:services"].api;

test("a port name over 15 characters (IANA_SVC_NAME) is refused with a shorter one", () => {
  const problems = problemsOf("prod", (c) => {
    api(c).ports[0].name = "http-api-metrics-port";
    api(c).metrics.port = "http-api-metrics-port";
  });
  assert.deepEqual(problems, [
    `Pulumi.prod.yaml: ops-baseline:services.api.ports.0.name: "http-api-metrics-port" is 21 characters; a port name is an IANA service name: at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no "--" (Kubernetes refuses longer ones), e.g. "http-api-metric"`,
  ]);
  // 15 is the limit, not 14.
  const ok = parseYaml(readStackFileText("prod"));
  api(ok.config).ports[0].name = "http-api-metric";
  api(ok.config).metrics.port = "http-api-metric";
  for (const kind of ["liveness", "readiness", "startup"]) api(ok.config).health[kind].port = "http-api-metric";
  const config = loadStackConfig(stackFileInputFromText("prod", stringify(ok)));
  assert.equal(config.services.api.ports[0].name, "http-api-metric");
  assert.match(problemsOf("dev", (c) => (api(c).ports[0].name = "1234")).join("\n"), /"1234" is not a valid port name/);
});

test("a size without a unit is refused, with the unit spelt out", () => {
  assert.equal(parseSize("512").ok, false);
  assert.deepEqual(parseSize("512B"), { ok: true, value: 512 });
  const problems = problemsOf("dev", (c) => {
    api(c).resources = { limits: { memory: 268435456 } };
  });
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    /^Pulumi\.dev\.yaml: ops-baseline:services\.api\.resources\.limits\.memory: "268435456" has no unit; write it with one, e.g. "268435456Mi" or "268435456MB" \(units: B, K, KB/,
  );
  const storage = problemsOf("prod", (c) => (c["ops-baseline:dataStores"].postgres.storage = "20"));
  assert.match(storage.join("\n"), /ops-baseline:dataStores\.postgres\.storage: "20" has no unit/);
});

test("a key under a misspelt project namespace (which Pulumi ignores) is refused with did you mean", () => {
  const problems = problemsOf("dev", (c) => {
    c["ops-baselin:foo"] = "bar";
    c["ops_baseline:alerts"] = {};
    c["kubernetes:context"] = "kind-ops"; // another namespace altogether: a provider's, left alone
    api(c).replicas = -1;
  });
  // Reported with the rest of the file's problems, not instead of them.
  assert.match(problems.join("\n"), /ops-baseline:services\.api\.replicas: Too small/);
  assert.deepEqual(
    problems.filter((p) => !p.includes("replicas")),
    [
      `Pulumi.dev.yaml: ops_baseline:alerts: is under the namespace "ops_baseline", which no program reads (Pulumi ignores it without a word); did you mean ops-baseline:alerts?`,
      `Pulumi.dev.yaml: ops-baselin:foo: is under the namespace "ops-baselin", which no program reads (Pulumi ignores it without a word); did you mean ops-baseline:foo?`,
    ],
  );
});
