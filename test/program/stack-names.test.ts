// A dev-profile stack of another name (`Pulumi.qa.yaml`, the dev file with `profile: dev`) under
// Pulumi mocks on the Docker target: every Docker object, label and rendered file carries the
// stack name, never "dev", and dev's defaults apply.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runProgram } from "../support/program";
import { readStackFileText } from "../support/stack-files";

const CONTAINER = "docker:index/container:Container";
const qaText = () => readStackFileText("dev").replace("config:\n", "config:\n  ops-baseline:profile: dev\n");

const unwrap = (v: unknown): any => v;

test("qa (dev profile) on Docker: names, labels and rendered files carry the stack name", async () => {
  const run = await runProgram("qa", qaText());
  const containers = run.byType(CONTAINER).map((c) => c.inputs as Record<string, any>);
  assert.ok(containers.length > 5, `${containers.length} containers`);
  for (const c of containers) {
    assert.match(c.name, /^ops-baseline-qa-/, `container ${c.name}`);
    assert.equal(unwrap(c.networksAdvanced)[0].name, "ops-baseline-qa");
    const labels = Object.fromEntries(unwrap(c.labels).map((l: any) => [l.label, l.value]));
    assert.equal(labels["ops-baseline/environment"], "qa", `container ${c.name}`);
  }
  for (const v of run.byType("docker:index/volume:Volume")) assert.match(String(v.inputs.name), /^ops-baseline-qa-/);
  const [network] = run.byType("docker:index/network:Network");
  assert.equal(network.inputs.name, "ops-baseline-qa");
  const api = containers.find((c) => c.name === "ops-baseline-qa-api")!;
  assert.equal(api.restart, "unless-stopped", "dev profile");
  const texts = JSON.stringify(run.resources.map((r) => r.inputs));
  const has = (needle: string) => texts.includes(needle);
  assert.ok(has("external_labels:\\n    environment: qa"), "Prometheus' external label is the stack name");
  assert.ok(has('ops-baseline/environment\\"] != \\"qa\\"'), "the log collector keeps only the stack's containers");
  for (const devName of ["ops-baseline-dev", "environment: dev\\n", '!= \\"dev\\"']) {
    assert.ok(!has(devName), `nothing carries dev's name (${devName})`);
  }
});

test("qa without a profile fails before any resource is registered, naming file and key", async () => {
  await assert.rejects(
    runProgram("qa", readStackFileText("dev")),
    /Pulumi\.qa\.yaml: ops-baseline:profile: is not set, and stack "qa" is not named after a profile/,
  );
});
