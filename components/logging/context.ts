// What the log store's parts read of the stack: where it runs, its restart and log policies,
// and its labels.
import { standardLabels } from "../workloads/labels";
import { containerLogPolicy } from "../workloads/resources";
import type { Workload } from "../workloads/model";
import type { LogStoreInput } from "./config";

export interface LogStoreContext {
  environment: string;
  targetKind: "docker" | "kubernetes";
  /** Kubernetes: the stack's namespace, whose pods' logs are collected. */
  namespace?: string;
  /** Docker: the engine's directory of container log files (`<data-root>/containers`). */
  containerLogDir?: string;
  restartPolicy: Workload["restartPolicy"];
  logPolicy: Workload["logPolicy"];
  labels: (name: string) => Record<string, string>;
}

export function logStoreContext(config: LogStoreInput): LogStoreContext {
  return {
    environment: config.environment,
    targetKind: config.target.kind,
    namespace: config.target.kind === "kubernetes" ? config.target.namespace : undefined,
    containerLogDir: config.target.kind === "docker" ? config.target.containerLogDir : undefined,
    restartPolicy: config.profile === "dev" ? "unless-stopped" : "always",
    logPolicy: containerLogPolicy(config),
    labels: (name) => standardLabels(config, name, "logging"),
  };
}
