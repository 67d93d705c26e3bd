// The services part of the stack file: `services.<name>` (the team's containers, their ports,
// health checks, volumes and signals) and `dataStores.<name>` (PostgreSQL, Redis, NATS).
import { z } from "zod";
import { attachedTextSchema } from "../alerts/config";
import { signalsSchema } from "../alerts/signals";
import {
  buildSchema,
  duration,
  egress,
  envValue,
  name,
  pinnedImage,
  port,
  portName,
  resourcesSchema,
  size,
} from "../fields";

const probeSchema = z
  .strictObject({
    http: z.string().startsWith("/", "must start with /").optional(),
    tcp: z.boolean().optional(),
    exec: z.array(z.string()).min(1, "must name a command").optional(),
    port: z.string().optional(),
    period: duration(),
    timeout: duration(),
    failureThreshold: z.number().int().min(1),
    initialDelay: duration(),
  })
  .superRefine((probe, ctx) => {
    const kinds = [probe.http !== undefined, probe.tcp === true, probe.exec !== undefined].filter(Boolean);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: 'set exactly one of http: "/path", tcp: true or exec: [command, ...]',
      });
    }
    if (probe.timeout >= probe.period) {
      ctx.addIssue({ code: "custom", path: ["timeout"], message: "must be shorter than period" });
    }
  });
export type ProbeConfig = z.output<typeof probeSchema>;

export type { ResourcesConfig } from "../fields";

const portSchema = z.strictObject({
  name: portName(),
  port: port(),
  hostPort: port().optional(),
  protocol: z.enum(["tcp", "udp"]).default("tcp"),
  external: z.boolean().default(false),
});

const volumeSchema = z.strictObject({
  name: name(),
  path: z.string().startsWith("/", "must be an absolute path"),
  size: size(),
  persistent: z.boolean().default(true),
  readOnly: z.boolean().default(false),
});

const securitySchema = z.strictObject({
  runAsUser: z.number().int().min(1, "must be a non-root user id (1 or more)").optional(),
  runAsGroup: z.number().int().min(0).optional(),
  fsGroup: z.number().int().min(0).optional(),
  readOnlyRootFilesystem: z.boolean(),
});

const healthSchema = z.strictObject({
  liveness: probeSchema.optional(),
  readiness: probeSchema.optional(),
  startup: probeSchema.optional(),
});

/** Names of variables that hold credentials; their values belong in secretEnv. */
export const SECRET_LOOKING_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;

export const serviceSchema = z.strictObject({
  image: pinnedImage(),
  build: buildSchema.optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z.array(portSchema).default([]),
  env: z.record(z.string(), envValue()).default({}),
  secretEnv: z.record(z.string(), z.string()).default({}),
  health: healthSchema,
  resources: resourcesSchema,
  replicas: z.number().int().min(0),
  restart: z.enum(["always", "on-failure", "unless-stopped"]),
  dependsOn: z.array(z.string()).default([]),
  /** Destinations outside the environment the service calls (egress NetworkPolicy on Kubernetes). */
  externals: z.record(name(), egress()).default({}),
  volumes: z.array(volumeSchema).default([]),
  metrics: z.strictObject({ port: z.string(), path: z.string().startsWith("/", "must start with /") }).optional(),
  /** What its alerts and SLOs read from those metrics (components/alerts/signals.ts); default: the Prometheus client convention. */
  signals: signalsSchema.optional(),
  logFiles: z.array(z.string().startsWith("/", "must be an absolute path")).default([]),
  security: securitySchema,
  faultInjection: z
    .strictObject({
      errorRate: z.number().min(0).max(1, "must be a fraction from 0 to 1"),
      latency: duration(),
    })
    .optional(),
  /** Hand-written runbook text for this service, placed in the generated RUNBOOK.md. */
  runbook: attachedTextSchema.optional(),
  /**
   * An optional service: placed (with its monitoring, alerts, documents and network policies)
   * only when `integrations.<name>.enabled` is true (stacks/config/integrations.ts).
   */
  integration: name().optional(),
});
export type ServiceConfig = z.output<typeof serviceSchema>;

const dataStoreCommon = {
  image: pinnedImage(),
  build: buildSchema.optional(),
  hostPort: port().optional(),
  storage: size(),
  resources: resourcesSchema,
  security: securitySchema,
  /** Hand-written runbook text for this data store, placed in the generated RUNBOOK.md. */
  runbook: attachedTextSchema.optional(),
};

const sqlRole = () => z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier");

const postgresSchema = z.strictObject({
  engine: z.literal("postgresql"),
  ...dataStoreCommon,
  port: port().default(5432),
  database: name().or(z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier")),
  user: z.string().regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier"),
  passwordSecret: z.string(),
  maxConnections: z.number().int().min(5),
  /**
   * Least-privilege roles beside the superuser `user`, created and rotated on every start
   * (images/postgresql/ensure-roles): `app` for services, `monitor` (pg_monitor) for the
   * exporter, `backup` (read-all, restore points) for the restore drill. Each has its own secret.
   */
  roles: z
    .strictObject({
      app: z.strictObject({ name: sqlRole(), passwordSecret: z.string().min(1) }).optional(),
      monitor: z.strictObject({ name: sqlRole(), passwordSecret: z.string().min(1) }).optional(),
      backup: z.strictObject({ name: sqlRole(), passwordSecret: z.string().min(1) }).optional(),
    })
    .default({}),
});
export type PostgresConfig = z.output<typeof postgresSchema>;

const redisSchema = z.strictObject({
  engine: z.literal("redis"),
  ...dataStoreCommon,
  port: port().default(6379),
  maxMemory: size(),
  maxClients: z.number().int().min(1),
  passwordSecret: z.string().optional(),
});
export type RedisConfig = z.output<typeof redisSchema>;

/** NATS with JetStream (T-OPS-01 router): client port, monitoring port (/healthz, /varz), file and memory store limits. */
const natsSchema = z.strictObject({
  engine: z.literal("nats"),
  ...dataStoreCommon,
  port: port().default(4222),
  monitoringPort: port().default(8222),
  maxConnections: z.number().int().min(1).default(65536),
  /** Clients authenticate with this token (the monitoring port stays open to the exporter). */
  passwordSecret: z.string().optional(),
  jetstream: z.strictObject({
    /** JetStream's file store limit (max_file_store); must fit in `storage`. */
    maxFileStore: size(),
    /** JetStream's memory store limit (max_memory_store); must fit in the memory limit. */
    maxMemoryStore: size(),
  }),
});
export type NatsConfig = z.output<typeof natsSchema>;

export const dataStoreSchema = z.discriminatedUnion("engine", [postgresSchema, redisSchema, natsSchema], {
  error: (issue) => {
    const engine = isPlainObject(issue.input) ? issue.input.engine : undefined;
    const named = typeof engine === "string" ? ` (e.g. "${engine}")` : "";
    return (
      `engine must be "postgresql", "redis" or "nats"; a broker or database that is not built in${named} goes under ` +
      `services.<name> with its image, ports and a persistent volume, which makes it a stateful service ` +
      `(README.md#stateful-services)`
    );
  },
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A service with a persistent volume is stateful everywhere: a StatefulSet with one claim per
 * replica on Kubernetes, one replica by default, outside the minimum-replica rule, and its
 * volume group (fsGroup) set.
 */
export function isStatefulService(svc: { volumes: Array<{ persistent: boolean }> }): boolean {
  return svc.volumes.some((v) => v.persistent);
}

/**
 * The group Kubernetes gives a stateful service's volumes: declared, else the group or user it
 * runs as. Undefined when the stack file names none (the loader then says which to set).
 */
export function serviceFsGroup(svc: ServiceConfig): number | undefined {
  if (svc.security.fsGroup !== undefined || !isStatefulService(svc)) return svc.security.fsGroup;
  return svc.security.runAsGroup ?? svc.security.runAsUser;
}
export type DataStoreConfig = z.output<typeof dataStoreSchema>;
