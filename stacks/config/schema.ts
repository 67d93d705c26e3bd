// The single source of truth for what a stack file (Pulumi.<stack>.yaml) may say under the
// project's namespace `ops-baseline:`. Every object is strict: an unknown key is an error, so a
// misspelt `servcies` fails the preview instead of being silently ignored.
//
// Environment defaults (stacks/config/defaults.ts) are merged under the file before this schema
// runs, so every field here is either required or has its default in that data, not in code.
import { z } from "zod";
import { alertsConfigSchema } from "../../components/alerts/config";
import { backupConfigSchema } from "../../components/backup/config";
import { entrypointsSchema } from "../../components/entrypoints/config";
import { name } from "../../components/fields";
import { jobsConfigSchema } from "../../components/jobs/config";
import { loggingConfigSchema } from "../../components/logging/config";
import { monitoringConfigSchema } from "../../components/monitoring/config";
import { dataStoreSchema, serviceSchema } from "../../components/services/config";
import { targetSchema } from "../../components/targets/config";
import { PROFILES } from "../../components/workloads/context";

export { PROFILES, type ProfileName } from "../../components/workloads/context";
export {
  SECRET_LOOKING_ENV,
  type DataStoreConfig,
  type NatsConfig,
  type PostgresConfig,
  type ProbeConfig,
  type RedisConfig,
  type ServiceConfig,
} from "../../components/services/config";
export type { ResourcesConfig } from "../../components/fields";
export type { TargetConfig } from "../../components/targets/config";

/** Integrations the team does not own (RTT runbook): on/off and which variant, passed to services. */
const integrationSchema = z.strictObject({
  enabled: z.boolean(),
  variant: z
    .string()
    .regex(/^[a-z0-9][-a-z0-9_.]*$/, "must be a lowercase variant name")
    .default("default"),
});

const rulesSchema = z.strictObject({
  /** Stateless services with fewer replicas than this are rejected (prod: 2). */
  minReplicas: z.number().int().min(0),
  /** Published host ports are allowed (dev on a laptop) or rejected (a shared host). */
  allowHostPorts: z.boolean(),
});

export const stackConfigSchema = z.strictObject({
  /** The stack name (set by the loader, not the file): labels, object names, namespaces. */
  environment: name(),
  /** Which defaults the stack file is merged over; defaults to the stack name for dev and prod. */
  profile: z.enum(PROFILES),
  target: targetSchema,
  rules: rulesSchema,
  services: z.record(name(), serviceSchema),
  dataStores: z.record(name(), dataStoreSchema).default({}),
  integrations: z.record(name(), integrationSchema).default({}),
  /** Secret values by name; each must be set with `pulumi config set --secret`. */
  secrets: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "must be a name of letters, digits and _"), z.string())
    .default({}),
  logging: loggingConfigSchema,
  monitoring: monitoringConfigSchema,
  alerts: alertsConfigSchema,
  backup: backupConfigSchema,
  /** TLS entry points: an nginx reverse proxy on Docker, an Ingress on Kubernetes. */
  entrypoints: entrypointsSchema,
  /** The team's own scheduled jobs (components/jobs). */
  jobs: jobsConfigSchema,
});

/** The validated stack file: quantities in base units (seconds, bytes, millicores). */
export type StackConfig = z.output<typeof stackConfigSchema>;
