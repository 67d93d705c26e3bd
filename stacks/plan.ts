// Config -> concerns -> one list of workloads and jobs. Pure: the Pulumi program hands the result
// to a target, and the tests and golden files read it directly.
import { serviceWorkloads } from "../components/services/workloads";
import { mergeConcerns, type ConcernOutput } from "../components/workloads/model";
import type { StackConfig } from "./config/schema";

export interface EnvironmentPlan extends ConcernOutput {
  config: StackConfig;
}

export function planEnvironment(config: StackConfig): EnvironmentPlan {
  const services = serviceWorkloads(config);
  const merged = mergeConcerns(services);
  return { config, ...merged };
}
