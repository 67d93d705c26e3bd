// What every concern may know of the stack beyond its own slice of the config: the environment's
// name and profile, the target kind, the container log caps and the names of what the stack
// declares. A concern gets this and its own part of the stack file, never the whole config, so
// data flows one way: stack file -> concern -> target.
import type { LogPolicy } from "./model";

/** Defaults profiles: `dev` is dev-like (one replica, local builds, short retention), `prod` prod-like. */
export const PROFILES = ["dev", "prod"] as const;
export type ProfileName = (typeof PROFILES)[number];

export type DataStoreEngine = "postgresql" | "redis" | "nats";

export interface StackContext {
  /** The stack's name: labels, object names, namespaces. */
  environment: string;
  profile: ProfileName;
  target: { kind: "docker" | "kubernetes"; namespace?: string };
  /** Caps of every container's stdout/stderr log (`logging.containerLogs`). */
  logPolicy: LogPolicy;
  /** Names of the services placed in this stack (optional ones only when their integration is on). */
  services: string[];
  /** The data stores the stack declares, by name. */
  dataStores: Record<string, DataStoreEngine>;
}
