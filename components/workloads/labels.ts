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
