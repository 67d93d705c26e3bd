// Config -> concerns -> one list of workloads and jobs. Pure: the Pulumi program hands the result
// to a target, and the tests and golden files read it directly.
import type { AlertContext } from "../components/alerts/catalogue";
import type { RuleFile } from "../components/alerts/rules";
import { backedUpStores, backupConcern } from "../components/backup/concern";
import { entrypointWorkloads, ingressObjects, type IngressOutput } from "../components/entrypoints/concern";
import { applyPitr } from "../components/backup/pgbackrest";
import { jobsConcern } from "../components/jobs/concern";
import { logStoreConcern } from "../components/logging/concern";
import { applyLogging } from "../components/logging/logrotate";
import { monitoringConcern } from "../components/monitoring/concern";
import { serviceWorkloads } from "../components/services/workloads";
import { mergeConcerns, type ConcernOutput } from "../components/workloads/model";
import type { StackConfig } from "./config/schema";
import { stackContext } from "./context";

export interface EnvironmentPlan extends ConcernOutput {
  config: StackConfig;
  /** Rendered monitoring configuration, for golden files and the real-tool tests. */
  monitoring?: { prometheusConfig: string; alertmanagerConfig: string; ruleFiles: RuleFile[]; context: AlertContext };
  /** Entry points on Kubernetes: Ingresses, their NetworkPolicies and TLS Secrets. */
  ingress: IngressOutput;
}

export function planEnvironment(config: StackConfig): EnvironmentPlan {
  const ctx = stackContext(config);
  const services = applyPitr(
    config,
    applyLogging(config.logging, serviceWorkloads(ctx, config)),
    backedUpStores(config),
  );
  const entrypoints = { workloads: entrypointWorkloads(config), jobs: [] };
  const ingress = ingressObjects(config);
  const backup = mergeConcerns(backupConcern(ctx, config), jobsConcern(ctx, config));
  const logs = logStoreConcern(config);
  if (!config.monitoring.enabled) {
    return { config, ...mergeConcerns(services, entrypoints, backup, logs), ingress };
  }
  const monitoring = monitoringConcern(config, [...services.workloads, ...entrypoints.workloads, ...logs.workloads]);
  return {
    config,
    ...mergeConcerns(services, entrypoints, backup, logs, monitoring),
    ingress,
    monitoring: {
      prometheusConfig: monitoring.prometheusConfig,
      alertmanagerConfig: monitoring.alertmanagerConfig,
      ruleFiles: monitoring.ruleFiles,
      context: monitoring.context,
    },
  };
}
