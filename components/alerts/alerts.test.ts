import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { ConfigError, loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import {
  loadRepoStack,
  readStackFileText,
  REPO_ROOT,
  stackFileInputFromText,
  STACKS,
} from "../../test/support/stack-files";
import { ALERT_CATALOGUE } from "./catalogue";
import { coveredAlertNames, renderTemplate } from "./promtool-tests";
import { effectiveAlerts, renderRuleFiles } from "./rules";
import { planContext } from "../../test/support/golden";

/** The explicit anchors of a stack's generated runbook (docs/stacks/<stack>/RUNBOOK.md). */
function runbookAnchors(stack: string): Set<string> {
  const text = fs.readFileSync(path.join(REPO_ROOT, "docs", "stacks", stack, "RUNBOOK.md"), "utf8");
  return new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
}

test("every alert's runbook_url points at its own section of the stack's generated runbook", () => {
  for (const stack of STACKS) {
    const anchors = runbookAnchors(stack);
    const plan = planEnvironment(loadRepoStack(stack));
    for (const file of plan.monitoring!.ruleFiles) {
      const doc = parseYaml(file.content) as {
        groups: Array<{ rules: Array<{ alert?: string; annotations?: Record<string, string> }> }>;
      };
      for (const rule of doc.groups.flatMap((g) => g.rules).filter((r) => r.alert)) {
        const url = rule.annotations?.runbook_url ?? "";
        assert.equal(
          url,
          `docs/stacks/${stack}/RUNBOOK.md#${rule.alert!.toLowerCase()}`,
          `${rule.alert} has a runbook_url`,
        );
        assert.ok(anchors.has(url.split("#")[1]), `${rule.alert}: no section #${url.split("#")[1]} in the runbook`);
        assert.ok(
          rule.annotations?.summary && rule.annotations.description,
          `${rule.alert} has summary and description`,
        );
      }
    }
  }
});

test("the generated promtool suite covers every alert of the catalogue and every SLO alert", () => {
  const config = loadRepoStack("prod");
  // The NATS alerts exist only in a stack with a NATS store; prod has none, so one is named here.
  const covered = coveredAlertNames(config.alerts, { ...planContext("prod"), natsStores: ["bus"] });
  for (const a of ALERT_CATALOGUE) assert.ok(covered.includes(a.name), `${a.name} is tested`);
  assert.ok(covered.includes("SloErrorBudgetBurnFast") && covered.includes("SloErrorBudgetBurnSlow"));
});

test("overrides tune threshold, for and severity, and disable alerts", () => {
  const base = loadRepoStack("dev").alerts;
  const tuned = {
    ...base,
    overrides: {
      ErrorRateWarning: { threshold: 2, for: 600, severity: "critical" as const },
      Watchdog: { disabled: true },
    },
  };
  const byName = new Map(effectiveAlerts(tuned).map((a) => [a.name, a]));
  assert.equal(byName.get("ErrorRateWarning")!.threshold, 2);
  assert.equal(byName.get("ErrorRateWarning")!.forSeconds, 600);
  assert.equal(byName.get("ErrorRateWarning")!.severity, "critical");
  const rules = renderRuleFiles(tuned, planContext("dev"))
    .map((f) => f.content)
    .join("\n");
  assert.match(
    rules,
    /alert: ErrorRateWarning\n\s+expr: .* > 2\n\s+for: 10m\n\s+labels:\n\s+family: ErrorRate\n\s+severity: critical/,
  );
  assert.doesNotMatch(rules, /alert: Watchdog/);
});

test("an override of an unknown alert is rejected with the valid names", () => {
  const doc = parseYaml(readStackFileText("dev"));
  doc.config["ops-baseline:alerts"].overrides = { ErrorRateWarnign: { threshold: 2 } };
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", stringify(doc))),
    (e: unknown) =>
      e instanceof ConfigError &&
      /alerts\.overrides\.ErrorRateWarnign: is not an alert of the catalogue \(did you mean "ErrorRateWarning"\?\); expected one of: .*ServiceDown/.test(
        e.message,
      ),
  );
});

test("an SLO for an unknown service or off-bucket latency threshold is rejected", () => {
  const doc = parseYaml(readStackFileText("dev"));
  doc.config["ops-baseline:alerts"].slos = {
    web: { availability: 0.99 },
    api: { availability: 0.999, latency: { threshold: 0.3, objective: 0.99 } },
  };
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", stringify(doc))),
    (e: unknown) =>
      e instanceof ConfigError &&
      /alerts\.slos\.web: names no service/.test(e.message) &&
      /alerts\.slos\.api\.latency\.threshold: latency\.threshold 0\.3 is not a bucket bound/.test(e.message),
  );
});

test("annotation templates render like Prometheus for $labels", () => {
  assert.equal(
    renderTemplate("{{ $labels.job }} on {{$labels.instance}}", { job: "api", instance: "x:1" }),
    "api on x:1",
  );
});

test("every job the alerts expect has a scrape configuration, and every scrape job is known to the alerts", () => {
  for (const stack of STACKS) {
    const plan = planEnvironment(loadRepoStack(stack));
    const doc = parseYaml(plan.monitoring!.prometheusConfig) as { scrape_configs: Array<{ job_name: string }> };
    const scraped = doc.scrape_configs
      .map((c) => c.job_name)
      .filter((j) => j !== "blackbox")
      .sort();
    const ctx = planContext(stack);
    assert.deepEqual(scraped, [...ctx.serviceJobs, ...ctx.infraJobs].sort(), stack);
  }
});
