// Generates a `promtool test rules` suite from the tuned catalogue: for every alert, series just
// past its threshold fire after `for` with the expected labels and annotations; the same series
// do not fire before `for` has passed; series just inside the threshold never fire. A change of
// threshold, `for` or severity in the rules without the same change here makes the suite fail.
import { type AlertContext, type AlertTestPlan, type InputSeries } from "./catalogue";
import type { AlertsConfig } from "./config";
import { customAnnotations, customLabels } from "./custom";
import { effectiveAlerts, ruleAnnotations, ruleLabels, toYaml } from "./rules";
import { BURN_ALERTS, sloAnnotations, sloTargets, sloTestPlan } from "./slo";

export interface TestableAlert {
  name: string;
  forSeconds: number;
  ruleLabels: Record<string, string>;
  annotations: Record<string, string>;
  plan: AlertTestPlan;
  /** What the test calls the level, e.g. "threshold 5 percent". */
  describe: string;
}

/** Fills `{{ $labels.name }}` the way Prometheus renders the annotation templates used here. */
export function renderTemplate(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => labels[name] ?? "");
}

export function testableAlerts(config: AlertsConfig, ctx: AlertContext): TestableAlert[] {
  const catalogue = effectiveAlerts(config)
    // Disabled alerts, and alerts with no rule on this stack (e.g. the Kubernetes ones on Docker).
    .filter((a) => !a.disabled && a.definition.expr(a.threshold, ctx).length > 0)
    .flatMap((a) => {
      const plans = a.definition.test(a.threshold, ctx);
      return (Array.isArray(plans) ? plans : [plans]).map((plan) => ({
        name: a.name,
        forSeconds: a.forSeconds,
        ruleLabels: ruleLabels(a),
        annotations: ruleAnnotations(config, a),
        plan,
        describe:
          a.definition.threshold === undefined ? "its condition" : `threshold ${a.threshold} ${a.definition.unit}`,
      }));
    });
  const slo = sloTargets(config, ctx).flatMap((t) =>
    BURN_ALERTS.map((alert) => ({
      name: alert.name,
      forSeconds: alert.forSeconds,
      ruleLabels: { family: `Slo${t.kind}`, severity: alert.severity },
      annotations: sloAnnotations(config, t, alert),
      plan: sloTestPlan(t, alert),
      describe: `${t.job} ${t.kind} budget ${t.budget}`,
    })),
  );
  return [...catalogue, ...slo];
}

interface PromtoolTest {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test: Array<{
    eval_time: string;
    alertname: string;
    exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }>;
  }>;
}

const minutes = (n: number) => `${n}m`;

export function promtoolTestsFor(alert: TestableAlert): PromtoolTest[] {
  const forMinutes = Math.ceil(alert.forSeconds / 60);
  const fireAt = alert.plan.steadyMinutes + forMinutes + 1;
  const labels = { ...alert.plan.labels, ...alert.ruleLabels };
  const expected = {
    exp_labels: labels,
    exp_annotations: Object.fromEntries(
      Object.entries(alert.annotations).map(([k, v]) => [k, renderTemplate(v, labels)]),
    ),
  };
  // promtool reads an alert's series from a test of its own; the plan's labels pick the one alert.
  const tests: PromtoolTest[] = [
    {
      name: `${alert.name}: fires past ${alert.describe} after ${forMinutes}m`,
      interval: "1m",
      input_series: alert.plan.firing,
      alert_rule_test: [{ eval_time: minutes(fireAt), alertname: alert.name, exp_alerts: [expected] }],
    },
  ];
  if (alert.forSeconds > 0) {
    tests.push({
      name: `${alert.name}: does not fire before ${forMinutes}m have passed`,
      interval: "1m",
      input_series: alert.plan.firing,
      alert_rule_test: [{ eval_time: minutes(Math.max(0, forMinutes - 1)), alertname: alert.name, exp_alerts: [] }],
    });
  }
  if (alert.plan.silent) {
    tests.push({
      name: `${alert.name}: stays silent inside ${alert.describe}`,
      interval: "1m",
      input_series: alert.plan.silent,
      alert_rule_test: [{ eval_time: minutes(fireAt), alertname: alert.name, exp_alerts: [] }],
    });
  }
  return tests;
}

/** The whole suite as a promtool test file, for rule files that sit beside it. */
export function renderPromtoolTests(config: AlertsConfig, ctx: AlertContext, ruleFiles: string[]): string {
  return toYaml({
    rule_files: [...ruleFiles].sort(),
    evaluation_interval: "1m",
    tests: [...testableAlerts(config, ctx).flatMap(promtoolTestsFor), ...customPromtoolTests(config)],
  });
}

/**
 * The stack's own tests in promtool's shape: each expected alert gets its rule's labels (severity,
 * family, labels) and annotations (rendered for the expected labels) added, so a test states only
 * what the expression yields.
 */
export function customPromtoolTests(config: AlertsConfig): PromtoolTest[] {
  const rules = new Map(config.custom.rules.filter((r) => r.alert).map((r) => [r.alert!, r]));
  return config.custom.tests.map((t) => ({
    name: t.name,
    interval: t.interval,
    input_series: t.input_series,
    alert_rule_test: t.alert_rule_test.map((a) => {
      const rule = rules.get(a.alertname);
      return {
        eval_time: a.eval_time,
        alertname: a.alertname,
        exp_alerts: a.exp_alerts.map((e) => {
          const labels = rule ? { ...e.exp_labels, ...customLabels(rule) } : e.exp_labels;
          const annotations = rule ? customAnnotations(config, rule) : {};
          return {
            exp_labels: labels,
            exp_annotations: Object.fromEntries(
              Object.entries(annotations).map(([k, v]) => [k, renderTemplate(v, labels)]),
            ),
          };
        }),
      };
    }),
  }));
}

/** Every catalogue alert that a stack's suite covers, for the coverage check. */
export function coveredAlertNames(config: AlertsConfig, ctx: AlertContext): string[] {
  return [...new Set(testableAlerts(config, ctx).map((a) => a.name))].sort();
}
