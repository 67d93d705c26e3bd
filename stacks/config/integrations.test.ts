// Optional services behind integration flags: C0Di3's LLM service and log analyzer added to the
// prod stack file, placed only when their integration is enabled, with everything that follows
// a service (workload, scrape job and probe, alerts, SLO, document rows, network policies).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { renderStackDocs } from "../opsdocs";
import { networkPolicies } from "../../components/targets/kubernetes/network";
import { readAttachments } from "../../tools/docs/stacks";
import { loaderProblems, readStackFileText, REPO_ROOT, stackFileInputFromText } from "../../test/support/stack-files";
import { planEnvironment } from "../plan";
import { loadStackConfig } from "./load";

/** Pulumi.<stack>.yaml with the LLM service (port 8000) and log analyzer (5001) behind flags. */
export function withOptionalServices(
  stack: string,
  flags: { llm: boolean; logAnalyzer: boolean },
  edit: (c: Record<string, any>) => void = () => {},
): string {
  const doc = parseYaml(readStackFileText(stack));
  const c = doc.config;
  const api = c["ops-baseline:services"].api;
  const optional = (integration: string, port: number) => ({
    integration,
    image: `${api.image.replace(/\/api:/, `/${integration}:`)}`,
    ports: [{ name: "http", port }],
    health: { liveness: { http: "/health" }, readiness: { http: "/health" } },
    metrics: { port: "http", path: "/metrics" },
    security: { runAsUser: 10001, runAsGroup: 10001 },
  });
  c["ops-baseline:services"].llm = optional("llm", 8000);
  c["ops-baseline:services"]["log-analyzer"] = optional("log-analyzer", 5001);
  // Core Agent depends on both, optionally (C0Di3 runbook, "Service Dependencies").
  api.dependsOn = [...api.dependsOn, "llm", "log-analyzer"];
  c["ops-baseline:integrations"] = {
    llm: { enabled: flags.llm, variant: "llama-cpp" },
    "log-analyzer": { enabled: flags.logAnalyzer },
  };
  c["ops-baseline:alerts"] = {
    ...c["ops-baseline:alerts"],
    slos: { ...c["ops-baseline:alerts"]?.slos, llm: { availability: 0.99 } },
  };
  edit(c);
  return stringify(doc);
}

const load = (text: string, stack = "prod") => loadStackConfig(stackFileInputFromText(stack, text));

function everything(stack: string, flags: { llm: boolean; logAnalyzer: boolean }) {
  const config = load(withOptionalServices(stack, flags), stack);
  const plan = planEnvironment(config);
  const docs = renderStackDocs({
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    plan,
    attachments: readAttachments(config, REPO_ROOT),
    regenerate: `npm run docs -- ${stack}`,
  });
  const policies = networkPolicies(plan.workloads, plan.jobs, { namespace: "ops-baseline", commonLabels: {} });
  return { config, plan, docs: [...docs.values()].join("\n"), policies };
}

test("an optional service is placed with its monitoring, alerts, documents and policies only when its integration is on", () => {
  const on = everything("prod", { llm: true, logAnalyzer: false });
  const off = everything("prod", { llm: false, logAnalyzer: false });
  const names = (p: typeof on) => p.plan.workloads.map((w) => w.name);
  assert.ok(names(on).includes("llm"));
  assert.ok(!names(on).includes("log-analyzer"), "log analyzer: its integration is off");
  assert.ok(!names(off).includes("llm"));
  assert.deepEqual(on.config.services.api.dependsOn, ["postgres", "redis", "llm"]);
  assert.deepEqual(off.config.services.api.dependsOn, ["postgres", "redis"], "the API runs without it");

  const promOn = on.plan.monitoring!.prometheusConfig;
  const promOff = off.plan.monitoring!.prometheusConfig;
  assert.match(promOn, /llm-pods/, "scraped when on");
  assert.match(promOn, /http:\/\/llm:8000\/health/, "probed when on");
  assert.doesNotMatch(promOff, /llm/, "neither scraped nor probed when off");
  const rulesOf = (p: typeof on) => p.plan.monitoring!.ruleFiles.map((f) => f.content).join("\n");
  assert.match(rulesOf(on), /service="llm"|slo_service="llm"|job="llm"/, "SLO and alerts when on");
  assert.doesNotMatch(rulesOf(off), /"llm"/, "no alert or SLO rule reads it when off");
  assert.match(on.docs, /`llm`/);
  assert.doesNotMatch(off.docs, /`llm`/, "no document row when off");
  const policyNames = (p: typeof on) => p.policies.map((x) => x.metadata.name);
  assert.ok(policyNames(on).includes("llm"));
  assert.ok(!policyNames(off).includes("llm"));
  assert.ok(!JSON.stringify(off.policies).includes('"llm"'), "no policy lets anything reach it when off");
});

test("the integration's flag and variant still reach every placed service", () => {
  const { plan } = everything("dev", { llm: true, logAnalyzer: false });
  const llm = plan.workloads.find((w) => w.name === "llm")!;
  assert.equal(llm.env.INTEGRATION_LLM_ENABLED, "true");
  assert.equal(llm.env.INTEGRATION_LLM_VARIANT, "llama-cpp");
  const api = plan.workloads.find((w) => w.name === "api")!;
  assert.equal(api.env.INTEGRATION_LOG_ANALYZER_ENABLED, "false");
});

test("an integration that is not declared is an error naming file and key; an off service must still be valid", () => {
  const problems = (text: string) => loaderProblems(stackFileInputFromText("prod", text));
  assert.deepEqual(
    problems(
      withOptionalServices(
        "prod",
        { llm: false, logAnalyzer: false },
        (c) => (c["ops-baseline:services"].llm.integration = "lm"),
      ),
    ),
    [
      'Pulumi.prod.yaml: ops-baseline:services.llm.integration: names integration "lm", which is not declared; declare integrations.lm (enabled, variant) or name one of: llm, log-analyzer',
    ],
  );
  assert.match(
    problems(
      withOptionalServices(
        "prod",
        { llm: false, logAnalyzer: false },
        (c) => (c["ops-baseline:services"].llm.image = "llm:latest"),
      ),
    ).join("\n"),
    /services\.llm\.image: .*latest/,
  );
});

test("an entry point loses its route to an optional service that is off, and is not placed when none is left", () => {
  const secrets = (c: Record<string, any>) => {
    c["ops-baseline:secrets"].tlsCertificate = { secure: "v1:stand-in" };
    c["ops-baseline:secrets"].tlsKey = { secure: "v1:stand-in" };
  };
  const entry = (routes: Array<{ path: string; service: string }>) => ({
    hosts: ["c0di3.example.test"],
    port: 443,
    routes: routes.map((r) => ({ ...r, port: "http" })),
    tls: { certificateSecret: "tlsCertificate", keySecret: "tlsKey" },
    probePath: "/health",
  });
  const withEntries = (llm: boolean) =>
    load(
      withOptionalServices("prod", { llm, logAnalyzer: false }, (c) => {
        secrets(c);
        c["ops-baseline:entrypoints"] = {
          web: entry([
            { path: "/", service: "api" },
            { path: "/llm/", service: "llm" },
          ]),
          "llm-only": entry([{ path: "/", service: "llm" }]),
        };
      }),
    );
  const on = withEntries(true);
  assert.deepEqual(
    on.entrypoints.web.routes.map((r) => r.service),
    ["api", "llm"],
  );
  assert.ok(on.entrypoints["llm-only"]);
  const off = withEntries(false);
  assert.deepEqual(
    off.entrypoints.web.routes.map((r) => r.service),
    ["api"],
  );
  assert.equal(off.entrypoints["llm-only"], undefined, "nothing left to route to");
  assert.doesNotMatch(planEnvironment(off).monitoring!.prometheusConfig, /llm/);
});

test("the stack's own jobs and alerts about an optional service that is off are not placed", () => {
  const withOwn = (llm: boolean) =>
    load(
      withOptionalServices("prod", { llm, logAnalyzer: false }, (c) => {
        c["ops-baseline:jobs"] = {
          ...c["ops-baseline:jobs"],
          "llm-warmup": { schedule: "*/30 * * * *", timeout: "5m", command: ["true"], connectsTo: ["llm", "api"] },
        };
        c["ops-baseline:alerts"].custom = {
          rules: [
            {
              alert: "LlmQueueLong",
              service: "llm",
              expr: 'up{job="llm"} == 0',
              for: "5m",
              severity: "warning",
              summary: "LLM queue",
            },
          ],
          tests: [
            {
              name: "llm queue",
              input_series: [{ series: 'up{job="llm"}', values: "0x10" }],
              alert_rule_test: [
                { eval_time: "6m", alertname: "LlmQueueLong", exp_alerts: [{ exp_labels: { job: "llm" } }] },
              ],
            },
          ],
        };
      }),
    );
  const on = withOwn(true);
  assert.deepEqual(on.jobs["llm-warmup"].connectsTo, ["llm", "api"]);
  assert.deepEqual(
    on.alerts.custom.rules.map((r) => r.alert),
    ["LlmQueueLong"],
  );
  assert.equal(on.alerts.custom.tests.length, 1);
  const off = withOwn(false);
  assert.deepEqual(off.jobs["llm-warmup"].connectsTo, ["api"], "the job runs without the path to the service");
  assert.deepEqual(off.alerts.custom.rules, []);
  assert.deepEqual(off.alerts.custom.tests, []);
  assert.doesNotMatch(JSON.stringify(planEnvironment(off).monitoring!.ruleFiles ?? {}), /LlmQueueLong/);
});
