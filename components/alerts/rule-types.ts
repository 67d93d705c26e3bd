// The shapes of Prometheus rule files and the severities alerts carry: the floor of the alerts
// concern, imported by the catalogue, the custom rules, the SLO rules and the renderer alike.
export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface RuleFile {
  /** File name, e.g. "services.rules.yml". */
  name: string;
  content: string;
}

export interface PrometheusRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: PrometheusRule[];
}
