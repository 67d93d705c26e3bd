// The labels every object of the stack carries, whatever the concern and the target.
import type { Workload } from "./model";

export const PART_OF = "ops-baseline";

export function standardLabels(
  ctx: { environment: string },
  name: string,
  role: Workload["role"],
): Record<string, string> {
  return {
    "app.kubernetes.io/component": role,
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/part-of": PART_OF,
    "ops-baseline/environment": ctx.environment,
  };
}

/**
 * Labels that the Docker target writes into every json-file log line (`attrs`), so a collector
 * reading the engine's log files knows each line's workload and environment.
 */
export const LOG_LINE_LABELS = ["app.kubernetes.io/name", "ops-baseline/environment"] as const;
