// The single source of truth for what a stack file (Pulumi.<stack>.yaml) may say under the
// project's namespace `ops-baseline:`. Every object is strict: an unknown key is an error, so a
// misspelt `servcies` fails the preview instead of being silently ignored.
//
// Environment defaults (stacks/config/defaults.ts) are merged under the file before this schema
// runs, so every field here is either required or has its default in that data, not in code.
import { z } from "zod";
import { alertsConfigSchema, attachedTextSchema } from "../../components/alerts/config";
import { signalsSchema } from "../../components/alerts/signals";
import { backupConfigSchema } from "../../components/backup/config";
import { entrypointsSchema } from "../../components/entrypoints/config";
import { jobsConfigSchema } from "../../components/jobs/config";
import { loggingConfigSchema } from "../../components/logging/config";
import { monitoringConfigSchema } from "../../components/monitoring/config";
import {
  buildSchema,
  duration,
  egress,
  envValue,
  name,
  pinnedImage,
  port,
  resourcesSchema,
  size,
} from "../../components/fields";

/**
 * Defaults profiles (stacks/config/defaults.ts): `dev` is dev-like (one replica, local builds,
 * short retention), `prod` prod-like. Any stack name picks one with `profile:`; the stack name
 * itself is the environment name in labels, object names and namespaces.
 */
export const PROFILES = ["dev", "prod"] as const;
export type ProfileName = (typeof PROFILES)[number];

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

export type { ResourcesConfig } from "../../components/fields";

const portSchema = z.strictObject({
  name: name(),
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

const serviceSchema = z.strictObject({
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

const dataStoreSchema = z.discriminatedUnion("engine", [postgresSchema, redisSchema, natsSchema], {
  error: () => 'engine must be "postgresql", "redis" or "nats"',
});
export type DataStoreConfig = z.output<typeof dataStoreSchema>;

const dockerTargetSchema = z.strictObject({
  kind: z.literal("docker"),
  host: z.string().regex(/^(unix|tcp|ssh|npipe):\/\//, "must be a Docker host URL like unix:///var/run/docker.sock"),
  bindAddress: z.union([z.ipv4(), z.ipv6()]),
});

const kubernetesTargetSchema = z.strictObject({
  kind: z.literal("kubernetes"),
  context: z.string().optional(),
  namespace: name(),
  storageClass: z.string().optional(),
  /** Write manifests here instead of talking to a cluster (preview and review without one). */
  renderYamlToDirectory: z.string().optional(),
  /** DNS resolver addresses that are not pods (a node-local DNS cache), allowed besides cluster DNS pods. */
  dnsCidrs: z.array(z.cidrv4({ error: () => "must be an IPv4 CIDR such as 169.254.20.10/32" })).default([]),
  /**
   * The namespace and the claims that hold data are `protect`ed (the engine refuses to delete
   * them) and `retainOnDelete` (a destroy that is forced anyway leaves them in the cluster).
   */
  protectData: z.boolean(),
  /**
   * Do not wait for workloads to become ready (the `pulumi.com/skipAwait` annotation): only for a
   * control plane without nodes, such as the API server the tests start.
   */
  skipAwait: z.boolean().default(false),
  /** Sidecar that reloads Prometheus and Alertmanager when their mounted configuration changes. */
  configReloaderImage: pinnedImage(),
  /**
   * Watching the cluster the stack runs on: node-exporter as a DaemonSet with host mounts in its
   * own namespace (Pod Security `privileged`; the stack's namespace stays `restricted`),
   * kube-state-metrics for the stack's namespace, the kubelet's and cAdvisor's metrics.
   */
  clusterMonitoring: z.strictObject({
    enabled: z.boolean(),
    nodeNamespace: name(),
    kubeStateMetricsImage: pinnedImage(),
    /** Where the nodes' addresses are (node-exporter 9100, kubelet 10250 are reached there). */
    nodeCidrs: z.array(z.cidrv4({ error: () => "must be an IPv4 CIDR such as 10.0.0.0/8" })).min(1),
    /** Where the API server answers (443, 6443), for Prometheus' Kubernetes service discovery. */
    apiServerCidrs: z.array(z.cidrv4({ error: () => "must be an IPv4 CIDR such as 10.96.0.1/32" })).min(1),
  }),
});

const targetSchema = z.discriminatedUnion("kind", [dockerTargetSchema, kubernetesTargetSchema], {
  error: () => 'kind must be "docker" or "kubernetes"',
});
export type TargetConfig = z.output<typeof targetSchema>;

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
