import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { loadOverlaid, readFixture } from "../../test/support/overlay";
import { loadRepoStack } from "../../test/support/stack-files";
import { coveredAlertNames } from "./promtool-tests";
import { ALERT_CATALOGUE } from "./catalogue";
import { resolveSignals, signalCoverage } from "./signals";

const RTAP = readFixture("signals/rtap.overlay.yaml");

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}

function rulesOf(text: string): Rule[] {
  const plan = planEnvironment(loadOverlaid("dev", text));
  return plan.monitoring!.ruleFiles.flatMap((f) =>
    (parseYaml(f.content) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules),
  );
}

/** The expressions of `name` for `job`: the parts of a rule that joins services' expressions with `or`. */
function exprsOf(rules: Rule[], name: string, job: string): string[] {
  return rules
    .filter((r) => (r.alert ?? r.record) === name)
    .flatMap((r) => (r.alert && r.expr.startsWith("(") ? r.expr.slice(1, -1).split(") or (") : [r.expr]))
    .filter((e) => e.includes(`job="${job}"`));
}

for (const [naming, prefix] of [
  ["own names", "rtap_"],
  ["renamed", "pipeline_"],
] as const) {
  test(`signals (${naming}): the service alerts and SLO rules of rtap read the metrics it declares`, () => {
    const rules = rulesOf(RTAP.replaceAll("rtap_", prefix));
    const probes = `path!~"/health|/ready|/metrics"`;
    assert.deepEqual(exprsOf(rules, "LatencyP95High", "rtap"), [
      `histogram_quantile(0.95, sum by (job, le) (rate(${prefix}pipeline_latency_seconds_bucket{job="rtap",${probes}}[5m]))) > 0.2`,
    ]);
    assert.deepEqual(exprsOf(rules, "ErrorRateWarning", "rtap"), [
      `sum by (job) (rate(${prefix}requests_total{job="rtap",${probes},outcome=~"error|timeout"}[5m])) / sum by (job) (rate(${prefix}requests_total{job="rtap",${probes}}[5m])) * 100 > 1`,
    ]);
    assert.deepEqual(exprsOf(rules, "QueueUtilisationHigh", "rtap"), [
      `${prefix}buffer_utilization_ratio{job="rtap"} * 100 > 80`,
    ]);
    const sli = rules.filter((r) => r.record?.startsWith("slo:sli_error") && r.expr.includes('job="rtap"'));
    assert.equal(sli.length, 14, "7 windows x availability and latency");
    for (const r of sli)
      assert.match(
        r.expr,
        new RegExp(
          `${prefix}(requests_total|pipeline_latency_seconds_(bucket|count))\\{job="rtap",${probes.replace(/[|/]/g, "\\$&")}`,
        ),
      );
    // No rule reads a name the service does not have any more; none reads another convention's.
    const other = prefix === "rtap_" ? "pipeline_" : "rtap_";
    for (const r of rules) {
      for (const e of exprsOf([r], r.alert ?? r.record!, "rtap")) {
        assert.doesNotMatch(e, new RegExp(`\\b${other}`), `${r.alert ?? r.record} reads ${other}*`);
        assert.ok(!e.includes("http_request"), `${r.alert ?? r.record} reads an HTTP convention metric for rtap`);
      }
    }
    // rtap declares no webhook error counter: no rule for it.
    assert.deepEqual(exprsOf(rules, "WebhookErrorsHigh", "rtap"), []);
  });
}

test("signals: the OpenTelemetry convention reads http_server_request_duration_seconds and http_response_status_code", () => {
  const rules = rulesOf(RTAP);
  const probes = `http_route!~"/health|/ready|/metrics"`;
  assert.deepEqual(exprsOf(rules, "ErrorRateCritical", "web"), [
    `sum by (job) (rate(http_server_request_duration_seconds_count{job="web",${probes},http_response_status_code=~"5.."}[5m])) / sum by (job) (rate(http_server_request_duration_seconds_count{job="web",${probes}}[5m])) * 100 > 5`,
  ]);
  assert.deepEqual(exprsOf(rules, "LatencyP95High", "web"), [
    `histogram_quantile(0.95, sum by (job, le) (rate(http_server_request_duration_seconds_bucket{job="web",${probes}}[5m]))) > 0.2`,
  ]);
  // The reference API keeps the Prometheus client convention, with its own buckets.
  assert.match(
    exprsOf(rules, "ErrorRateWarning", "api")[0],
    /http_requests_total\{job="api",route!~"\/health\|\/ready\|\/metrics",status=~"5\.\."\}/,
  );
});

test("signals: the generated suite covers every catalogue alert across the default stacks and the rtap fixture", () => {
  const covered = new Set<string>();
  for (const config of [loadRepoStack("prod"), loadOverlaid("dev", RTAP)]) {
    const plan = planEnvironment(config);
    // The NATS alerts exist only in a stack with a NATS store (NatsServerDown only with its /healthz
    // probe); neither has one, so one is named here.
    const ctx = { ...plan.monitoring!.context, natsStores: ["bus"], natsHealthProbes: ["bus"] };
    for (const name of coveredAlertNames(config.alerts, ctx)) covered.add(name);
  }
  for (const a of ALERT_CATALOGUE) assert.ok(covered.has(a.name), `${a.name} is tested`);
});

test("signals: a service without a signal gets no alert for it, and the preview line names it", () => {
  const config = loadOverlaid("dev", RTAP);
  const lines = signalCoverage(config.services);
  assert.deepEqual(lines, [
    "service api declares no utilisation gauge: it gets no QueueUtilisationHigh",
    "service rtap declares no webhook error counter: it gets no WebhookErrorsHigh",
    "service web declares no resident memory gauge, no utilisation gauge, no webhook error counter: it gets no ProcessMemoryHigh, MemoryGrowthHigh, QueueUtilisationHigh, WebhookErrorsHigh",
  ]);
  // A disabled alert is not reported as missing.
  assert.deepEqual(
    signalCoverage({ api: config.services.api }, (a) => a === "QueueUtilisationHigh"),
    [],
  );
});

test("signals: the conventions resolve to the documented names", () => {
  const prom = resolveSignals(undefined).signals;
  assert.equal(prom.requests?.series, "http_requests_total");
  assert.equal(prom.requests?.errorLabel, "status");
  assert.deepEqual(prom.requests?.path, { label: "route", exclude: ["/health", "/ready", "/metrics"] });
  assert.equal(prom.latency?.metric, "http_request_duration_seconds");
  assert.equal(prom.memory?.metric, "process_resident_memory_bytes");
  const otel = resolveSignals({ convention: "opentelemetry", metrics: {} }).signals;
  assert.equal(otel.requests?.series, "http_server_request_duration_seconds_count");
  assert.equal(otel.requests?.errorLabel, "http_response_status_code");
  assert.equal(otel.latency?.path?.label, "http_route");
  assert.deepEqual(resolveSignals({ convention: "none", metrics: {} }).signals, {});
  // Turning one signal off keeps the others.
  const noLatency = resolveSignals({ convention: "prometheus", metrics: {}, latency: false }).signals;
  assert.equal(noLatency.latency, undefined);
  assert.ok(noLatency.requests);
});

function problemsOf(overlay: string): string {
  try {
    loadOverlaid("dev", overlay);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  assert.fail("the stack file was accepted");
}

test("signals: bad input names the file and the key", () => {
  const msg = problemsOf(
    RTAP.replace("label: outcome", "label: status")
      .replace("metric: rtap_buffer_utilization_ratio", "metric: rtap_buffer_ratio")
      .replace(
        "        latency:\n          metric: rtap_pipeline_latency_seconds",
        "        latncy:\n          metric: rtap_pipeline_latency_seconds",
      ),
  );
  assert.match(
    msg,
    /Pulumi\.dev\.yaml: ops-baseline:services\.rtap\.signals\.latncy: unknown key \(did you mean "latency"\?\)/,
  );
  // Zod stops at the unknown key; the cross-key checks report once the file parses.
  const msg2 = problemsOf(
    RTAP.replace("label: outcome", "label: status").replace(
      "metric: rtap_buffer_utilization_ratio",
      "metric: rtap_buffer_ratio",
    ),
  );
  assert.match(
    msg2,
    /Pulumi\.dev\.yaml: ops-baseline:services\.rtap\.signals\.requests\.errors\.label: names label status, which rtap_requests_total does not declare; declared labels: stage, outcome, path/,
  );
  assert.match(
    msg2,
    /Pulumi\.dev\.yaml: ops-baseline:services\.rtap\.signals\.queue\.metric: names rtap_buffer_ratio, which the service does not declare; declare it under signals\.metrics or use one of: .*rtap_buffer_utilization_ratio/,
  );
  const msg3 = problemsOf(RTAP.replace("metric: rtap_buffer_utilization_ratio", "metric: rtap_errors_total"));
  assert.match(
    msg3,
    /services\.rtap\.signals\.queue\.metric: rtap_errors_total is a counter; this signal needs a gauge/,
  );
  const msg4 = problemsOf(
    RTAP.replace(
      "        requests:\n          metric: rtap_requests_total",
      "        requests: false\n        unusedRequests:\n          metric: rtap_requests_total",
    ),
  );
  assert.match(msg4, /unusedRequests: unknown key/);
  const msg5 = problemsOf(
    RTAP.replace(/ {8}requests:\n[\s\S]*? {8}latency:/, "        requests: false\n        latency:"),
  );
  assert.match(
    msg5,
    /Pulumi\.dev\.yaml: ops-baseline:alerts\.slos\.rtap\.availability: the service declares no request counter/,
  );
  const msg6 = problemsOf(RTAP.replace("threshold: 0.25", "threshold: 0.3"));
  assert.match(
    msg6,
    /alerts\.slos\.web\.latency\.threshold: latency\.threshold 0\.3 is not a bucket bound of http_server_request_duration_seconds; use one of 0\.005, .*0\.75/,
  );
});
