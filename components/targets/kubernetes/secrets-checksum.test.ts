// Rotating one secret rolls exactly the workloads that read it at start: each pod template's
// ops-baseline/secrets-sha256 covers the values of its own restart set and no other, and
// Alertmanager's receiver files (read at each notification) are in no restart set.
import assert from "node:assert/strict";
import { test } from "node:test";
import { planEnvironment } from "../../../stacks/plan";
import { runProgram } from "../../../test/support/program";
import { loadRepoStack, secretStandIn } from "../../../test/support/stack-files";
import { receiverSecrets } from "../../monitoring/alertmanager";
import type { KubeContext } from "./objects";
import { nodeAgentNamespace } from "../../workloads/model";
import { restartSecrets, SECRETS_CHECKSUM_ANNOTATION, secretsChecksum } from "./workloads";

const config = loadRepoStack("prod");
const plan = planEnvironment(config);
assert.equal(config.target.kind, "kubernetes");
const ctx: KubeContext = {
  namespace: config.target.kind === "kubernetes" ? config.target.namespace : "",
  commonLabels: {},
  configReloaderImage: config.target.kind === "kubernetes" ? config.target.configReloaderImage : undefined,
};
const values = Object.fromEntries(Object.keys(config.secrets).map((k) => [k, `value of ${k}`]));

/** Workloads whose annotation changes when `secret` gets a new value. */
function rolledBy(secret: string): string[] {
  const rotated = { ...values, [secret]: `new value of ${secret}` };
  return plan.workloads
    .filter((w) => {
      const names = restartSecrets(w, ctx);
      return names.length > 0 && secretsChecksum(w.name, names, values) !== secretsChecksum(w.name, names, rotated);
    })
    .map((w) => w.name)
    .sort();
}

const readers = (secret: string) =>
  plan.workloads
    .filter((w) => restartSecrets(w, ctx).includes(secret))
    .map((w) => w.name)
    .sort();

for (const secret of ["postgresPassword", "redisPassword", "postgresAppPassword", "postgresMonitorPassword"]) {
  test(`prod: rotating ${secret} rolls exactly the workloads that read it at start`, () => {
    const expected = readers(secret);
    assert.ok(expected.length > 0, `some workload reads ${secret}`);
    assert.ok(expected.length < plan.workloads.length, "not every workload reads it");
    assert.deepEqual(rolledBy(secret), expected);
  });
}

test("prod: a rotated Redis password does not restart the single PostgreSQL, nor the reverse", () => {
  assert.ok(!rolledBy("redisPassword").includes("postgres"));
  assert.ok(!rolledBy("postgresPassword").includes("redis"));
});

test("prod: Alertmanager's receiver secrets are in no restart set, so rotating one restarts nothing", () => {
  const receivers = Object.values(config.monitoring.alertmanager.receivers).flatMap(receiverSecrets);
  assert.ok(receivers.length > 0, "prod's receivers read secrets");
  const am = plan.workloads.find((w) => w.name === "alertmanager")!;
  assert.ok(
    am.secretFiles.some((f) => receivers.some((r) => f.template.includes(r))),
    "they reach Alertmanager as files",
  );
  for (const r of receivers) {
    assert.ok(!restartSecrets(am, ctx).includes(r), `${r} is not in Alertmanager's restart set`);
    assert.deepEqual(rolledBy(r), [], `rotating ${r} rolls nothing`);
  }
});

test("secretsChecksum: equal values in two workloads give different annotations, and no value appears in it", () => {
  const a = secretsChecksum("postgres", ["postgresPassword"], { postgresPassword: "short" });
  const b = secretsChecksum("postgres-exporter", ["postgresPassword"], { postgresPassword: "short" });
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, b);
  assert.ok(!a.includes(Buffer.from("short").toString("hex")));
});

test("prod program: the pod templates carry the checksum of their own restart set", async () => {
  const run = await runProgram("prod");
  const standIns = Object.fromEntries(Object.keys(config.secrets).map((k) => [k, secretStandIn(`secrets.${k}`)]));
  let checked = 0;
  for (const w of plan.workloads) {
    const names = restartSecrets(w, ctx);
    const kind = w.placement === "every-node" ? "DaemonSet" : w.stateful ? "StatefulSet" : "Deployment";
    const where = w.placement === "every-node" ? `${nodeAgentNamespace(ctx.namespace)}-` : "";
    const controller = run.one(`kubernetes:apps/v1:${kind}`, `${kind.toLowerCase()}-${where}${w.name}`).inputs as any;
    const annotation = controller.spec.template.metadata.annotations?.[SECRETS_CHECKSUM_ANNOTATION];
    if (names.length === 0) {
      assert.equal(annotation, undefined, w.name);
      continue;
    }
    assert.equal(annotation, secretsChecksum(w.name, names, standIns), w.name);
    checked++;
  }
  assert.ok(checked >= 3, `${checked} workloads carry the annotation`);
});
