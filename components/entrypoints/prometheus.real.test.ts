// The monitoring configuration of stacks with an entry point and NATS, checked by the pinned
// promtool: the blackbox job with per-target modules and the NATS exporter's scrape job load.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { brokerStackInput } from "../../test/support/broker-stack";
import { pinnedTool, run } from "../../test/support/tools";

for (const stack of ["dev", "prod"] as const) {
  test(`${stack} with an entry point and NATS: promtool check config and check rules pass`, () => {
    const plan = planEnvironment(loadStackConfig(brokerStackInput(stack)));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-entry-prom-"));
    try {
      fs.mkdirSync(path.join(dir, "rules"));
      for (const f of plan.monitoring!.ruleFiles) fs.writeFileSync(path.join(dir, "rules", f.name), f.content);
      const file = path.join(dir, "prometheus.yml");
      const text = plan.monitoring!.prometheusConfig.replaceAll("/etc/prometheus/", `${dir}/`);
      assert.match(text, /__param_module: https_rave_proxy/);
      assert.match(text, /job_name: bus-exporter/);
      fs.writeFileSync(file, text);
      const syntaxOnly = text.includes("/var/run/secrets/kubernetes.io/serviceaccount/") ? ["--syntax-only"] : [];
      const check = run(pinnedTool("promtool"), ["check", "config", ...syntaxOnly, file]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      const rules = plan.monitoring!.ruleFiles.map((f) => path.join(dir, "rules", f.name));
      const checked = run(pinnedTool("promtool"), ["check", "rules", ...rules]);
      assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
