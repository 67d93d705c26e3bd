// The stack's own scheduled jobs (`ops-baseline:jobs`): a command on a cron schedule, with a
// timeout, secrets from Pulumi secrets, a data store connection and volumes of other workloads.
// Image, build, timeout, resources and user come from the environment defaults
// (stacks/config/defaults.ts, `jobDefaults`), so a job says only what is particular to it.
import { z } from "zod";
import {
  buildSchema,
  cronExpression,
  cronLongestGapSeconds,
  duration,
  envValue,
  name,
  pinnedImage,
  resourcesSchema,
} from "../fields";

const jobVolumeSchema = z.strictObject({
  /** The service or data store whose volume is mounted. */
  from: name(),
  /** The volume's name in that service (`services.<from>.volumes[].name`); `data` for a data store. */
  volume: name(),
  path: z.string().startsWith("/", "must be an absolute path"),
  readOnly: z.boolean().default(true),
});

export const jobSchema = z.strictObject({
  image: pinnedImage(),
  build: buildSchema.optional(),
  command: z.array(z.string()).min(1, "must name a command"),
  /** Five-field cron expression, UTC. */
  schedule: cronExpression(),
  /** A run that takes longer is stopped and reported as failed. */
  timeout: duration().refine((s) => s >= 1, "must be at least 1s"),
  env: z.record(z.string(), envValue()).default({}),
  /** Environment variables from the stack's `secrets` (Pulumi secrets), by secret name. */
  secretEnv: z.record(z.string(), z.string()).default({}),
  /**
   * A data store the job connects to: its address, user and password come as PGHOST, PGPORT,
   * PGUSER, PGDATABASE, PGPASSWORD (PostgreSQL) or REDIS_HOST, REDIS_PORT, REDISCLI_AUTH (Redis),
   * and the network policy lets the job reach it.
   */
  dataStore: name().optional(),
  /** Services the job calls (e.g. a health check); the network policy lets it reach them. */
  connectsTo: z.array(name()).default([]),
  volumes: z.array(jobVolumeSchema).default([]),
  resources: resourcesSchema,
  security: z.strictObject({
    runAsUser: z.number().int().min(1, "must be a non-root user id (1 or more)"),
    runAsGroup: z.number().int().min(0),
  }),
});
export type JobConfig = z.output<typeof jobSchema>;

export const jobsConfigSchema = z.record(name(), jobSchema).default({});
export type JobsConfig = z.output<typeof jobsConfigSchema>;

/** What the cross-checks need to know of the rest of the stack file. */
export interface JobNeighbours {
  target: { kind: string };
  services: Record<string, { volumes: Array<{ name: string; persistent: boolean }> }>;
  dataStores: Record<string, unknown>;
}

/** Problems that span keys: unknown data stores, services, volumes; names taken by another workload. */
export function jobProblems(jobs: JobsConfig, stack: JobNeighbours): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const services = Object.keys(stack.services);
  const stores = Object.keys(stack.dataStores);
  for (const [jobName, job] of Object.entries(jobs)) {
    const at = `jobs.${jobName}`;
    if (jobName in stack.services || jobName in stack.dataStores) {
      add(at, `"${jobName}" is also a service or data store; names must be unique`);
    }
    if (job.dataStore !== undefined && !(job.dataStore in stack.dataStores)) {
      add(`${at}.dataStore`, `names no data store; expected one of: ${stores.join(", ") || "(none)"}`);
    }
    job.connectsTo.forEach((target, i) => {
      if (!(target in stack.services)) {
        add(`${at}.connectsTo.${i}`, `names no service; expected one of: ${services.join(", ") || "(none)"}`);
      }
    });
    job.volumes.forEach((v, i) => {
      const vat = `${at}.volumes.${i}`;
      if (stack.target.kind === "kubernetes") {
        // Data stores and services with persistent volumes are StatefulSets: one ReadWriteOnce
        // claim per replica, which a CronJob's pod cannot share.
        add(
          vat,
          "a job cannot mount another workload's volume on Kubernetes (its claims belong to a StatefulSet, one per replica, ReadWriteOnce); reach the data over the network with dataStore or connectsTo",
        );
      } else if (v.from in stack.dataStores) {
        if (v.volume !== "data") add(`${vat}.volume`, `a data store has one volume, "data"`);
      } else if (v.from in stack.services) {
        const persistent = stack.services[v.from].volumes.filter((sv) => sv.persistent).map((sv) => sv.name);
        if (!persistent.includes(v.volume)) {
          add(
            `${vat}.volume`,
            `is not a persistent volume of ${v.from}; expected one of: ${persistent.join(", ") || "(none)"}`,
          );
        }
      } else {
        add(`${vat}.from`, `names no service or data store; expected one of: ${[...services, ...stores].join(", ")}`);
      }
    });
    if (job.timeout >= cronLongestGapSeconds(job.schedule)) {
      add(`${at}.timeout`, `must be shorter than the time between two runs of "${job.schedule}"`);
    }
  }
  return problems;
}

/** Per job: how long after its last success a run is overdue (longest gap between runs + timeout). */
export function jobOverdueSeconds(jobs: JobsConfig): Array<{ name: string; overdueSeconds: number; schedule: string }> {
  return Object.entries(jobs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, job]) => ({
      name,
      schedule: job.schedule,
      overdueSeconds: cronLongestGapSeconds(job.schedule) + job.timeout,
    }));
}
