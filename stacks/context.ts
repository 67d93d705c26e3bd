// The small shared context every concern gets beside its own slice of the config.
import type { StackContext } from "../components/workloads/context";
import { containerLogPolicy } from "../components/workloads/resources";
import type { StackConfig } from "./config/schema";

export function stackContext(config: StackConfig): StackContext {
  return {
    environment: config.environment,
    profile: config.profile,
    target:
      config.target.kind === "kubernetes"
        ? { kind: "kubernetes", namespace: config.target.namespace }
        : { kind: "docker" },
    logPolicy: containerLogPolicy(config),
    services: Object.keys(config.services).sort(),
    dataStores: Object.fromEntries(
      Object.entries(config.dataStores)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, store]) => [name, store.engine]),
    ),
  };
}
