// Config -> concerns -> one list of workloads and jobs. Pure: the Pulumi program hands the result
// to a target, and the tests and golden files read it directly.
import type { AlertContext } from "../components/alerts/catalogue";
import type { RuleFile } from "../components/alerts/rules";
import { backupConcern } from "../components/backup/concern";
import { applyLogging } from "../components/logging/logrotate";
import { monitoringConcern } from "../components/monitoring/concern";
import { serviceWorkloads } from "../components/services/workloads";
import { mergeConcerns, type ConcernOutput } from "../components/workloads/model";
import type { StackConfig } from "./config/schema";

export interface EnvironmentPlan extends ConcernOutput {
  config: StackConfig;
  /** Rendered monitoring configuration, for golden files and the real-tool tests. */
  monitoring?: { prometheusConfig: string; alertmanagerConfig: string; ruleFiles: RuleFile[]; context: AlertContext };
}

export function planEnvironment(config: StackConfig): EnvironmentPlan {
  const services = applyLogging(config, serviceWorkloads(config));
  const backup = backupConcern(config);
  if (!config.monitoring.enabled) return { config, ...mergeConcerns(services, backup) };
  const monitoring = monitoringConcern(config, services.workloads);
  return {
    config,
    ...mergeConcerns(services, backup, monitoring),
    monitoring: {
      prometheusConfig: monitoring.prometheusConfig,
      alertmanagerConfig: monitoring.alertmanagerConfig,
      ruleFiles: monitoring.ruleFiles,
      context: monitoring.context,
    },
  };
}
