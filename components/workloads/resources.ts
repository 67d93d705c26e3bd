// A `resources` block of the stack file (requests and limits in base units) as a workload's
// resources, and the container log caps: both apply to every container a concern declares.
import type { ResourcesConfig } from "../fields";
import type { LogPolicy, Resources } from "./model";

export function toResources(r: ResourcesConfig): Resources {
  return {
    cpuRequestMillicores: r.requests.cpu,
    cpuLimitMillicores: r.limits.cpu,
    memoryRequestBytes: r.requests.memory,
    memoryLimitBytes: r.limits.memory,
  };
}

/** `logging.containerLogs` as the log policy of a container. */
export function containerLogPolicy(config: {
  logging: { containerLogs: { maxSize: number; maxFiles: number } };
}): LogPolicy {
  return { maxSizeBytes: config.logging.containerLogs.maxSize, maxFiles: config.logging.containerLogs.maxFiles };
}
