// The rendered monitoring configuration of a validated stack file, written to a directory for the
// real promtool and amtool: prometheus.yml and its rules laid out like /etc/prometheus, and
// alertmanager.yml with its secret placeholders filled by stand-in URLs.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { StackConfig } from "../../stacks/config/schema";
import { planEnvironment } from "../../stacks/plan";

export function writePrometheusFilesOf(config: StackConfig, dir: string) {
  const plan = planEnvironment(config);
  assert.ok(plan.monitoring, "the stack has monitoring");
  fs.mkdirSync(path.join(dir, "rules"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "prometheus.yml"),
    plan.monitoring.prometheusConfig.replaceAll("/etc/prometheus/", `${dir}/`),
  );
  for (const f of plan.monitoring.ruleFiles) fs.writeFileSync(path.join(dir, "rules", f.name), f.content);
  return { config, plan };
}

export function alertmanagerFileOf(config: StackConfig, dir: string): string {
  const plan = planEnvironment(config);
  const file = path.join(dir, "alertmanager.yml");
  fs.writeFileSync(
    file,
    plan.monitoring!.alertmanagerConfig.replace(/\$\{secret:([A-Za-z0-9_]+)\}/g, "https://hooks.example.invalid/$1"),
  );
  return file;
}
