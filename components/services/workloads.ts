// The services concern: the stack file's services and data stores as target-neutral workloads.
// Pure: no Pulumi import, tested directly.
import type { StackContext } from "../workloads/context";
import type { DataStoreConfig, PostgresConfig, ProbeConfig, RedisConfig, ServiceConfig } from "./config";
import { isStatefulService, serviceFsGroup } from "./config";
import { standardLabels } from "../workloads/labels";
import type { ConcernOutput, Probe, SecurityContext, Workload } from "../workloads/model";
import { toResources } from "../workloads/resources";
import { natsWorkloadFields } from "./nats";

// The floor helpers every concern uses, re-exported where they were first defined.
export { PART_OF, standardLabels } from "../workloads/labels";
export { containerLogPolicy, toResources } from "../workloads/resources";

export function toProbe(p: ProbeConfig, defaultPort: string | undefined): Probe {
  const timings = {
    periodSeconds: p.period,
    timeoutSeconds: p.timeout,
    failureThreshold: p.failureThreshold,
    initialDelaySeconds: p.initialDelay,
  };
  if (p.exec) return { check: { type: "exec", command: p.exec }, ...timings };
  const port = p.port ?? defaultPort ?? "";
  if (p.http !== undefined) return { check: { type: "http", path: p.http, port }, ...timings };
  return { check: { type: "tcp", port }, ...timings };
}

/** Integrations (RTT runbook's `integration.<name>.enabled/.variant`) as environment variables. */
export function integrationEnv(
  integrations: Record<string, { enabled: boolean; variant: string }>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, integration] of Object.entries(integrations).sort(([a], [b]) => a.localeCompare(b))) {
    const key = name.toUpperCase().replace(/-/g, "_");
    env[`INTEGRATION_${key}_ENABLED`] = String(integration.enabled);
    env[`INTEGRATION_${key}_VARIANT`] = integration.variant;
  }
  return env;
}

function serviceWorkload(ctx: StackContext, input: ServicesInput, name: string, svc: ServiceConfig): Workload {
  const defaultPort = svc.ports[0]?.name;
  const faults: Record<string, string> = svc.faultInjection
    ? {
        FAULT_ERROR_RATE: String(svc.faultInjection.errorRate),
        FAULT_LATENCY_MS: String(Math.round(svc.faultInjection.latency * 1000)),
      }
    : {};
  const security: SecurityContext = {
    runAsUser: svc.security.runAsUser,
    runAsGroup: svc.security.runAsGroup,
    fsGroup: serviceFsGroup(svc),
    runAsNonRoot: true,
    readOnlyRootFilesystem: svc.security.readOnlyRootFilesystem,
  };
  return {
    kind: "workload",
    name,
    role: "service",
    // Persistent volumes make a service stateful: one claim per replica (a StatefulSet), never
    // one ReadWriteOnce claim that a second replica could not mount.
    stateful: isStatefulService(svc),
    image: { ref: svc.image, build: svc.build },
    command: svc.command,
    args: svc.args,
    env: { ...integrationEnv(input.integrations), ...svc.env, ...faults },
    secretEnv: Object.entries(svc.secretEnv)
      .map(([envName, secret]) => ({ name: envName, secret }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    files: [],
    secretFiles: [],
    volumes: svc.volumes.map((v) => ({
      name: v.name,
      mountPath: v.path,
      sizeBytes: v.size,
      persistent: v.persistent,
      readOnly: v.readOnly,
    })),
    resources: toResources(svc.resources),
    securityContext: security,
    replicas: svc.replicas,
    restartPolicy: svc.restart,
    ports: svc.ports.map((p) => ({
      name: p.name,
      containerPort: p.port,
      protocol: p.protocol,
      hostPort: p.hostPort,
      external: p.external,
    })),
    health: {
      liveness: svc.health.liveness && toProbe(svc.health.liveness, defaultPort),
      readiness: svc.health.readiness && toProbe(svc.health.readiness, defaultPort),
      startup: svc.health.startup && toProbe(svc.health.startup, defaultPort),
    },
    dependsOn: [...svc.dependsOn].sort(),
    connectsTo: [],
    egress: Object.entries(svc.externals)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, e]) => ({ name, cidrs: e.cidrs, except: e.except, ports: e.ports })),
    metrics: svc.metrics ? [{ port: svc.metrics.port, path: svc.metrics.path }] : [],
    logPolicy: ctx.logPolicy,
    logFiles: svc.logFiles,
    sidecars: [],
    labels: standardLabels(ctx, name, "service"),
    annotations: {},
  };
}

const DATA_STORE_PROBE = { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, initialDelaySeconds: 0 };

function dataStoreBase(ctx: StackContext, name: string, store: DataStoreConfig) {
  return {
    kind: "workload" as const,
    name,
    role: "datastore" as const,
    stateful: true,
    image: { ref: store.image, build: store.build },
    files: [],
    resources: toResources(store.resources),
    securityContext: {
      runAsUser: store.security.runAsUser ?? 999,
      runAsGroup: store.security.runAsGroup ?? 999,
      fsGroup: store.security.fsGroup ?? 999,
      runAsNonRoot: true,
      readOnlyRootFilesystem: store.security.readOnlyRootFilesystem,
    },
    replicas: 1,
    restartPolicy: "always" as const,
    ports: [
      {
        name: store.engine,
        containerPort: store.port,
        protocol: "tcp" as const,
        hostPort: store.hostPort,
        external: false,
      },
    ],
    dependsOn: [],
    connectsTo: [],
    metrics: [],
    logPolicy: ctx.logPolicy,
    logFiles: [],
    sidecars: [],
    labels: standardLabels(ctx, name, "datastore"),
    annotations: {},
  };
}

export const POSTGRES_DATA_DIR = "/var/lib/postgresql/data";

/** The configured least-privilege roles of a PostgreSQL store, in a fixed order. */
export function roleEntries(store: PostgresConfig): Array<[string, { name: string; passwordSecret: string }]> {
  return (["app", "backup", "monitor"] as const).flatMap((role) => {
    const spec = store.roles[role];
    return spec ? [[role, spec] as [string, { name: string; passwordSecret: string }]] : [];
  });
}

function postgresWorkload(ctx: StackContext, name: string, store: PostgresConfig): Workload {
  const ready: Probe = {
    check: {
      type: "exec",
      command: ["pg_isready", "-h", "127.0.0.1", "-p", String(store.port), "-U", store.user, "-d", store.database],
    },
    ...DATA_STORE_PROBE,
  };
  return {
    ...dataStoreBase(ctx, name, store),
    command: undefined,
    args: ["postgres", "-c", `max_connections=${store.maxConnections}`, "-c", `port=${store.port}`],
    env: {
      PGDATA: `${POSTGRES_DATA_DIR}/pgdata`,
      POSTGRES_DB: store.database,
      POSTGRES_USER: store.user,
      // Roles the entrypoint creates or rotates on every start (images/postgresql/ensure-roles).
      ...Object.fromEntries(roleEntries(store).map(([role, spec]) => [`${role.toUpperCase()}_ROLE`, spec.name])),
    },
    secretEnv: [
      { name: "POSTGRES_PASSWORD", secret: store.passwordSecret },
      ...roleEntries(store).map(([role, spec]) => ({
        name: `${role.toUpperCase()}_PASSWORD`,
        secret: spec.passwordSecret,
      })),
    ],
    secretFiles: [],
    volumes: [
      { name: "data", mountPath: POSTGRES_DATA_DIR, sizeBytes: store.storage, persistent: true, readOnly: false },
    ],
    health: {
      liveness: { ...ready, periodSeconds: 30 },
      readiness: ready,
      // Crash recovery replays WAL before the server listens: up to 30 minutes before the
      // liveness probe takes over (the entrypoint itself waits as long as recovery takes).
      startup: { ...ready, periodSeconds: 5, failureThreshold: 360 },
    },
  };
}

export const REDIS_DATA_DIR = "/data";

/** redis.conf for a data store; the password line is a secret template filled by the target. */
export function renderRedisConfig(store: RedisConfig): string {
  const lines = [
    `port ${store.port}`,
    "bind 0.0.0.0",
    "protected-mode no",
    `dir ${REDIS_DATA_DIR}`,
    "appendonly yes",
    "appendfsync everysec",
    `maxmemory ${store.maxMemory}`,
    "maxmemory-policy allkeys-lru",
    `maxclients ${store.maxClients}`,
    "save 3600 1 300 100 60 10000",
  ];
  if (store.passwordSecret) lines.push(`requirepass \${secret:${store.passwordSecret}}`);
  return `${lines.join("\n")}\n`;
}

export const REDIS_CONFIG_PATH = "/etc/redis-ops/redis.conf";

function redisWorkload(ctx: StackContext, name: string, store: RedisConfig): Workload {
  const ping: Probe = {
    check: {
      type: "exec",
      command: ["sh", "-c", `redis-cli -p ${store.port} ping | grep -q PONG`],
    },
    ...DATA_STORE_PROBE,
  };
  return {
    ...dataStoreBase(ctx, name, store),
    command: ["redis-server"],
    args: [REDIS_CONFIG_PATH],
    env: {},
    // redis-cli reads the password from REDISCLI_AUTH, so the probe never puts it on a command line.
    secretEnv: store.passwordSecret ? [{ name: "REDISCLI_AUTH", secret: store.passwordSecret }] : [],
    secretFiles: [{ path: REDIS_CONFIG_PATH, template: renderRedisConfig(store), mode: 0o440 }],
    volumes: [{ name: "data", mountPath: REDIS_DATA_DIR, sizeBytes: store.storage, persistent: true, readOnly: false }],
    health: {
      liveness: { ...ping, periodSeconds: 30 },
      readiness: ping,
      startup: { ...ping, periodSeconds: 5, failureThreshold: 24 },
    },
  };
}

/** The slice of the stack file the services concern reads. */
export interface ServicesInput {
  services: Record<string, ServiceConfig>;
  dataStores: Record<string, DataStoreConfig>;
  integrations: Record<string, { enabled: boolean; variant: string }>;
}

/** Services and data stores of a stack, in a stable order (by name). */
export function serviceWorkloads(ctx: StackContext, input: ServicesInput): ConcernOutput {
  const services = Object.entries(input.services).map(([name, svc]) => serviceWorkload(ctx, input, name, svc));
  const stores = Object.entries(input.dataStores).map(([name, store]) => {
    if (store.engine === "postgresql") return postgresWorkload(ctx, name, store);
    if (store.engine === "nats") return { ...dataStoreBase(ctx, name, store), ...natsWorkloadFields(name, store) };
    return redisWorkload(ctx, name, store);
  });
  return { workloads: [...stores, ...services].sort((a, b) => a.name.localeCompare(b.name)), jobs: [] };
}
