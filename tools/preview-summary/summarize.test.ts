import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../../test/support/stack-files";
import { digestBetween, resourcesOf } from "./fixtures";
import {
  GITHUB_COMMENT_LIMIT,
  policyResults,
  policyViolations,
  summarize,
  thresholdOf,
  type PreviewDigest,
  type PolicyViolation,
} from "./summarize";

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
  assert.match(s.markdown, /lines left out to stay under 60000 characters, the least risky ones/);
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

test("a real big preview, with data loss, violations and alert changes, stays under the limit with the risky lines first", async () => {
  const before = await resourcesOf("prod");
  const after = await resourcesOf("prod", (c) => {
    const services = c["ops-baseline:services"];
    delete c["ops-baseline:dataStores"].redis;
    services.api.dependsOn = ["postgres"];
    for (let i = 0; i < 200; i++) services[`svc-${i}`] = structuredClone(services.api);
    c["ops-baseline:alerts"].overrides = { ErrorRateWarning: { threshold: 2 }, Watchdog: { disabled: true } };
  });
  const digest = digestBetween("prod", before, after);
  assert.ok(digest.steps!.length > 1000, `${digest.steps!.length} steps`);
  // Every new resource fails a mandatory policy with a long message: the violations alone are
  // longer than a comment.
  const violations: PolicyViolation[] = digest.steps!.map((step) => ({
    policyPack: "ops-baseline",
    policy: "resource-limits",
    enforcement: "mandatory",
    urn: step.urn,
    message: `container has no memory limit; ${"set resources.limits.memory in the stack file. ".repeat(3)}`,
  }));
  const maxChars = GITHUB_COMMENT_LIMIT - 536;
  const s = summarize(digest, { stack: "prod", maxChars, violations, policies: [] });
  assert.ok(s.markdown.length <= maxChars, `${s.markdown.length} characters`);
  assert.ok(s.trimmed > 0);
  assert.equal(s.risk, "high");
  assert.match(s.markdown, /^### Preview of `prod`: risk \*\*HIGH\*\*\n/);
  assert.match(s.markdown, /lines left out to stay under 65000 characters, the least risky ones/);
  assert.match(s.markdown, /\nRisk: high\n$/);
  // Data loss comes first, then the mandatory violations; what did not fit is the rest.
  const dataLoss = s.markdown.indexOf("**High risk: data may be lost**");
  const mandatory = s.markdown.indexOf("**Mandatory policy violations");
  assert.ok(dataLoss > 0 && mandatory > dataLoss, "data loss before the violations");
  assert.match(s.markdown, /delete `kubernetes:apps\/v1:StatefulSet` \*\*statefulset-redis\*\*: holds data/);
  assert.doesNotMatch(s.markdown, /#### Changes by component/, "the detail is the least risky part");

  // Without the violations the detail fits in part, its replacements and deletions first.
  const quiet = summarize(digest, { stack: "prod", maxChars });
  assert.ok(quiet.markdown.length <= maxChars, `${quiet.markdown.length} characters`);
  assert.ok(quiet.trimmed > 0);
  const detail = quiet.markdown.slice(quiet.markdown.indexOf("#### Changes by component"));
  const ops = [...detail.matchAll(/^\| (\w[-\w]*) \| `/gm)].map((m) => m[1]);
  const firstCreate = ops.indexOf("create");
  assert.ok(ops.includes("delete") && firstCreate > 0, ops.slice(0, 5).join(", "));
  assert.ok(
    ops.slice(firstCreate).every((op) => op === "create" || op === "update"),
    "a deletion after creations",
  );
  assert.ok(quiet.markdown.indexOf("#### Alert rules") < quiet.markdown.indexOf("#### Changes by component"));
  const alertRows = [...quiet.markdown.matchAll(/^\| (\w+) \| (added|changed|removed or disabled)( \(weaker\))? \|/gm)];
  const firstNotWeaker = alertRows.findIndex((m) => m[3] === undefined);
  assert.ok(
    firstNotWeaker < 0 || alertRows.slice(firstNotWeaker).every((m) => m[3] === undefined),
    "weaker alerts first",
  );
});

test("the policy packs' results from the event log: which ran, which policies passed and failed", () => {
  const urn = "urn:pulumi:prod::ops-baseline::kubernetes:apps/v1:Deployment::deployment-api";
  const log = [
    { policyLoadEvent: {} },
    {
      policyAnalyzeSummaryEvent: {
        resourceUrn: urn,
        policyPackName: "ops-baseline",
        policyPackVersion: "0.1.0",
        passed: ["pinned-images", "health-checks"],
        failed: ["resource-limits"],
      },
    },
    {
      policyAnalyzeSummaryEvent: {
        resourceUrn: urn.replace("api", "worker"),
        policyPackName: "ops-baseline",
        policyPackVersion: "0.1.0",
        passed: ["pinned-images", "health-checks", "resource-limits"],
      },
    },
    { policyAnalyzeStackSummaryEvent: { policyPackName: "ops-baseline", passed: ["kubernetes-production"] } },
    { summaryEvent: { isPreview: true, PolicyPacks: { "ops-baseline": "0.1.0" } } },
  ]
    .map((e) => JSON.stringify(e))
    .join("\n");
  const packs = policyResults(log);
  assert.equal(packs.length, 1);
  assert.deepEqual([...packs[0].failed], [["resource-limits", 1]]);
  const s = summarize({ steps: [] }, { stack: "prod", policies: packs, violations: policyViolations(log) });
  assert.match(
    s.markdown,
    /#### Policy packs\n\n- `ops-baseline` 0\.1\.0: 4 policies, 3 passed, 1 failed: resource-limits \(1 resource\)\n/,
  );
  const clean = summarize(
    { steps: [] },
    { policies: policyResults(log.replace(/"failed":\["resource-limits"\],?/, "")) },
  );
  assert.match(clean.markdown, /`ops-baseline` 0\.1\.0: 4 policies, all passed/);
  assert.equal(clean.risk, "none");
});

test("an event log without policy results says so and is not risk none", () => {
  const s = summarize(
    { steps: [] },
    { stack: "dev", policies: policyResults('{"summaryEvent":{"PolicyPacks":{}}}\n') },
  );
  assert.match(s.markdown, /\*\*Policy packs: no results\.\*\*/);
  assert.equal(s.risk, "medium");
  // Without an event log the summary makes no claim about policies.
  assert.doesNotMatch(summarize({ steps: [] }).markdown, /Policy packs/);
});
