// Loading `alerts.custom`: the rules file it names (relative to the stack file) is read and merged
// with the inline rules and tests, then every rule is checked: PromQL parsed with the Prometheus
// grammar, no name of the catalogue's, a known service whose declared metrics it reads, and tests
// that name a custom alert. Each problem names the stack file's key (and the rules file's key).
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { catalogueNames } from "../../components/alerts/catalogue";
import { checkPromql, customFileSchema, type CustomRule, type CustomTest } from "../../components/alerts/custom";
import { declaredSeries } from "../../components/alerts/signals";
import { BURN_ALERTS } from "../../components/alerts/slo";
import type { ConfigProblem } from "./problems";
import type { StackConfig } from "./schema";

/** Series every stack has whatever a service declares. */
const ALWAYS = ["up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped"];

export function loadCustomAlerts(config: StackConfig, dir: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const custom = config.alerts.custom;
  const sources: Array<{ rules: CustomRule[]; tests: CustomTest[]; key: (k: string) => ConfigProblem["path"] }> = [
    { rules: [...custom.rules], tests: [...custom.tests], key: (k) => `alerts.custom.${k}` },
  ];
  if (custom.file !== undefined) {
    const file = path.resolve(dir, custom.file);
    const inFile = (k: string) => `alerts.custom.file: ${custom.file}: ${k}`;
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      problems.push({
        path: "alerts.custom.file",
        message: `names ${custom.file}, which is not a file (looked for ${file})`,
      });
    } else {
      let doc: unknown;
      try {
        doc = parseYaml(fs.readFileSync(file, "utf8"));
      } catch (e) {
        problems.push({ path: inFile("(file)"), message: `is not YAML: ${(e as Error).message.split("\n")[0]}` });
      }
      if (doc !== undefined || problems.length === 0) {
        const parsed = customFileSchema.safeParse(doc ?? {});
        if (!parsed.success) {
          for (const issue of parsed.error.issues) {
            const keys = "keys" in issue && Array.isArray(issue.keys) ? issue.keys : [undefined];
            for (const k of keys) {
              problems.push({
                path: inFile([...issue.path.map(String), ...(k ? [k] : [])].join(".") || "(top level)"),
                message: k
                  ? "unknown key; expected one of: rules, tests (and per rule: alert, record, service, expr, for, severity, family, summary, description, runbook, labels)"
                  : issue.message,
              });
            }
          }
        } else {
          sources.push({ ...parsed.data, key: inFile });
          custom.rules.push(...parsed.data.rules);
          custom.tests.push(...parsed.data.tests);
        }
      }
    }
  }

  const catalogue = new Set([...catalogueNames(), ...BURN_ALERTS.map((a) => a.name)]);
  const records = custom.rules.flatMap((r) => (r.record ? [r.record] : []));
  const alertNames = custom.rules.flatMap((r) => (r.alert ? [r.alert] : []));
  const seen = new Set<string>();
  for (const { rules, tests, key } of sources) {
    rules.forEach((r, i) => {
      const at = (k: string) => key(`rules.${i}.${k}`);
      const checked = checkPromql(r.expr);
      if (checked.error) problems.push({ path: at("expr"), message: checked.error });
      if (r.alert !== undefined) {
        if (catalogue.has(r.alert)) {
          problems.push({
            path: at("alert"),
            message: `${r.alert} is an alert of the catalogue; pick another name (or tune the catalogue's under alerts.overrides.${r.alert})`,
          });
        } else if (seen.has(r.alert)) {
          problems.push({ path: at("alert"), message: `${r.alert} is declared twice; alert names must be unique` });
        }
        seen.add(r.alert);
      }
      if (r.service === undefined) return;
      const svc = config.services[r.service];
      if (!svc) {
        problems.push({
          path: at("service"),
          message: `names no service; expected one of: ${Object.keys(config.services).join(", ")}`,
        });
        return;
      }
      if (!svc.metrics) {
        problems.push({
          path: at("service"),
          message: `${r.service} has no metrics endpoint (services.${r.service}.metrics)`,
        });
        return;
      }
      const known = new Set([...declaredSeries(svc.signals), ...ALWAYS, ...records]);
      const unknown = checked.metrics.filter((m) => !known.has(m));
      if (unknown.length > 0) {
        problems.push({
          path: at("expr"),
          message: `reads ${unknown.join(", ")}, which services.${r.service} does not declare; declare it under services.${r.service}.signals.metrics (declared: ${declaredSeries(svc.signals).join(", ") || "(none)"})`,
        });
      }
    });
    tests.forEach((t, i) =>
      t.alert_rule_test.forEach((a, j) => {
        if (!alertNames.includes(a.alertname)) {
          problems.push({
            path: key(`tests.${i}.alert_rule_test.${j}.alertname`),
            message: `names no custom alert; expected one of: ${alertNames.join(", ") || "(none declared)"}`,
          });
        }
      }),
    );
  }
  return problems;
}
