import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../../test/support/stack-files";
import { digestBetween, resourcesOf } from "./fixtures";
import { policyViolations, summarize, thresholdOf, type PreviewDigest } from "./summarize";

test("an unchanged stack is risk none", async () => {
  const dev = await resourcesOf("dev");
  const s = summarize(digestBetween("dev", dev, dev), { stack: "dev" });
  assert.equal(s.risk, "none");
  assert.match(s.markdown, /No changes; \d+ unchanged\./);
  assert.match(s.markdown, /Risk: none\n$/);
});

test("an empty preview file is risk none", () => {
  assert.equal(summarize({}).risk, "none");
});

test("renaming a data store deletes its volume: high risk at the top", async () => {
  const before = await resourcesOf("dev");
  const after = await resourcesOf("dev", (c) => {
    const stores = c["ops-baseline:dataStores"];
    stores.pg = stores.postgres;
    delete stores.postgres;
    c["ops-baseline:services"].api.dependsOn = ["pg", "redis"];
    for (const job of Object.values(c["ops-baseline:jobs"] ?? {}) as Array<{ dataStore?: string }>) {
      if (job.dataStore === "postgres") job.dataStore = "pg";
    }
  });
  const s = summarize(digestBetween("dev", before, after), { stack: "dev" });
  assert.equal(s.risk, "high");
  const [top] = s.markdown.split("#### Changes by component");
  assert.match(top, /High risk: data may be lost/);
  assert.match(top, /- delete `docker:index\/volume:Volume` \*\*volume-postgres-data\*\*: holds data/);
  assert.match(top, /- delete `docker:index\/container:Container` \*\*postgres\*\*: data store/);
});

test("a changed alert threshold is spelled out old -> new and marked weaker", async () => {
  const before = await resourcesOf("prod");
  const after = await resourcesOf("prod", (c) => {
    c["ops-baseline:alerts"].overrides = {
      ErrorRateWarning: { threshold: 2 },
      CpuUsageCritical: { severity: "warning" },
      Watchdog: { disabled: true },
    };
  });
  const s = summarize(digestBetween("prod", before, after), { stack: "prod" });
  assert.match(s.markdown, /\| ErrorRateWarning \| changed \(weaker\) \| threshold > 1 -> > 2 \|/);
  assert.match(s.markdown, /\| CpuUsageCritical \| changed \(weaker\) \| severity critical -> warning \|/);
  assert.match(s.markdown, /\| Watchdog \| removed or disabled \(weaker\) \| was info \|/);
  assert.equal(s.risk, "medium");
  assert.match(s.markdown, /\| update \| `kubernetes:core\/v1:ConfigMap` \| configmap-prometheus-files \| data \|/);
});

test("deleting a service's data store in prod flags the StatefulSet and its backup", async () => {
  const before = await resourcesOf("prod");
  const after = await resourcesOf("prod", (c) => {
    delete c["ops-baseline:dataStores"].redis;
    c["ops-baseline:services"].api.dependsOn = ["postgres"];
  });
  const s = summarize(digestBetween("prod", before, after), { stack: "prod" });
  assert.equal(s.risk, "high");
  assert.match(s.markdown, /delete `kubernetes:apps\/v1:StatefulSet` \*\*statefulset-redis\*\*: holds data/);
  assert.match(
    s.markdown,
    /delete `kubernetes:batch\/v1:CronJob` \*\*cronjob-redis-backup\*\*: backup job or destination/,
  );
});

test("secret values never reach the summary", async () => {
  const before = await resourcesOf("dev");
  const after = await resourcesOf("dev", (c) => {
    c["ops-baseline:services"].api.env.LOG_LEVEL = "debug";
  });
  const s = summarize(digestBetween("dev", before, after), { stack: "dev" });
  assert.doesNotMatch(s.markdown, /test-secret:/);
  assert.match(s.markdown, /replace \| `docker:index\/container:Container` \| api \| envs \(replace\)/);
});

test("thousands of steps stay under the comment limit, the summary first and a note on what was left out", async () => {
  const before = await resourcesOf("prod");
  const after = await resourcesOf("prod", (c) => {
    const services = c["ops-baseline:services"];
    for (let i = 0; i < 400; i++) services[`svc-${i}`] = structuredClone(services.api);
  });
  const digest = digestBetween("prod", before, after);
  assert.ok(digest.steps!.length > 2000, `${digest.steps!.length} steps`);
  const s = summarize(digest, { stack: "prod", maxChars: 60000 });
  assert.ok(s.markdown.length <= 60000, `${s.markdown.length} characters`);
  assert.ok(s.trimmed > 0);
  assert.match(s.markdown, /^### Preview of `prod`: risk \*\*LOW\*\*/);
  assert.match(s.markdown, /lines of detail left out to stay under 60000 characters/);
  assert.match(s.markdown, /Risk: low\n$/);
});

test("policy violations from the event log; mandatory ones make the risk high", () => {
  const log = [
    JSON.stringify({
      sequence: 1,
      policyEvent: {
        policyPackName: "ops-baseline",
        policyName: "containers-have-limits",
        enforcementLevel: "mandatory",
        resourceUrn: "urn:pulumi:prod::ops-baseline::kubernetes:apps/v1:Deployment::deployment-api",
        message: "\u001b[1mno memory limit\u001b[0m",
      },
    }),
    JSON.stringify({
      sequence: 2,
      policyEvent: {
        policyPackName: "ops-baseline",
        policyName: "pinned-images",
        enforcementLevel: "advisory",
        message: "uses latest",
      },
    }),
    "not json",
  ].join("\n");
  const violations = policyViolations(log);
  assert.equal(violations.length, 2);
  const s = summarize({ steps: [] }, { violations });
  assert.equal(s.risk, "high");
  assert.match(
    s.markdown,
    /Mandatory policy violations[\s\S]*containers-have-limits: no memory limit \(deployment-api\)/,
  );
  assert.match(s.markdown, /policy pinned-images \(advisory\): uses latest/);
});

test("thresholds are read from the end of an expression", () => {
  assert.equal(thresholdOf("sum(rate(x[5m])) * 100 > 1"), "> 1");
  assert.equal(thresholdOf("predict_linear(a[6h], 24 * 3600) < 0"), "< 0");
  assert.equal(thresholdOf("vector(1)"), undefined);
});

test("the unchanged count is the engine's changeSummary, not the few unchanged steps --json lists", () => {
  // As the real engine prints it: of the unchanged resources only the stack appears as a step.
  const s = summarize(
    {
      steps: [{ op: "same", urn: "urn:pulumi:prod::ops-baseline::pulumi:pulumi:Stack::ops-baseline-prod" }],
      changeSummary: { same: 88 },
    },
    { stack: "prod" },
  );
  assert.match(s.markdown, /No changes; 88 unchanged\./);
  assert.equal(s.risk, "none");
});

function ruleFile(threshold: number): string {
  return [
    "groups:",
    "  - name: team",
    "    rules:",
    "      - alert: QueueBacklog",
    `        expr: queue_depth > ${threshold}`,
    "        for: 5m",
    "        labels: { severity: warning }",
    "",
  ].join("\n");
}

test("alert changes are found in a rule file of any name and in PrometheusRule objects", () => {
  const urn = (type: string, name: string) => `urn:pulumi:prod::ops-baseline::${type}::${name}`;
  const configMap = "kubernetes:core/v1:ConfigMap";
  const promRule = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
  const ruleObject = (threshold: number) => ({
    type: promRule,
    inputs: {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      spec: {
        groups: [
          {
            name: "operator",
            rules: [{ alert: "ErrorBudgetBurn", expr: `burn_rate > ${threshold}`, labels: { severity: "critical" } }],
          },
        ],
      },
    },
  });
  const s = summarize(
    {
      steps: [
        {
          op: "update",
          urn: urn(configMap, "team-alerts"),
          oldState: { type: configMap, inputs: { data: { "team-alerts.yaml": ruleFile(100) } } },
          newState: { type: configMap, inputs: { data: { "team-alerts.yaml": ruleFile(500) } } },
        },
        {
          op: "update",
          urn: urn(promRule, "slo-burn"),
          oldState: ruleObject(14.4),
          newState: ruleObject(20),
        },
      ],
    },
    { stack: "prod" },
  );
  assert.match(s.markdown, /\| QueueBacklog \| changed \(weaker\) \| threshold > 100 -> > 500 \|/);
  assert.match(s.markdown, /\| ErrorBudgetBurn \| changed \(weaker\) \| threshold > 14\.4 -> > 20 \|/);
  assert.equal(s.risk, "medium");
});

test("the real engine's --json preview of an unchanged prod counts every unchanged resource", () => {
  // testdata/prod-unchanged.preview.json: `npm run preview -- prod --json` after `npm run up -- prod`
  // (render mode), from the real CLI 3.259.0 with the Kubernetes provider 4.25.0.
  const file = path.join(REPO_ROOT, "tools", "preview-summary", "testdata", "prod-unchanged.preview.json");
  const digest = JSON.parse(fs.readFileSync(file, "utf8")) as PreviewDigest;
  assert.equal(digest.steps?.length, 1, "the engine lists only the stack's own step");
  const s = summarize(digest, { stack: "prod" });
  assert.match(s.markdown, /No changes; 88 unchanged\./);
  assert.equal(s.risk, "none");
});
