// The jobs concern: each of the stack's own jobs as a ScheduledJob, a CronJob on Kubernetes and
// a container under the scheduler on Docker. Every run goes through `run-job` (images/backup),
// which stops it at its timeout and pushes its outcome to the Pushgateway, like the backups do.
import { PUSHGATEWAY } from "../backup/paths";
import type { DataStoreConfig } from "../services/config";
import type { StackContext } from "../workloads/context";
import { standardLabels } from "../workloads/labels";
import { toResources } from "../workloads/resources";
import type { JobsConfig } from "./config";
import type { ConcernOutput, ScheduledJob, SecretEnv, VolumeSpec } from "../workloads/model";

/** Where the backup image installs the run wrapper. */
export const RUN_JOB = "/opt/ops-baseline/bin/run-job";
/** A run that outlives its own timeout by this much is ended by Kubernetes (activeDeadlineSeconds). */
export const DEADLINE_MARGIN_SECONDS = 30;

function connection(
  dataStores: Record<string, DataStoreConfig>,
  storeName: string,
): { env: Record<string, string>; secretEnv: SecretEnv[] } {
  const store = dataStores[storeName];
  if (store.engine === "postgresql") {
    return {
      env: { PGDATABASE: store.database, PGHOST: storeName, PGPORT: String(store.port), PGUSER: store.user },
      secretEnv: [{ name: "PGPASSWORD", secret: store.passwordSecret }],
    };
  }
  return {
    env: { REDIS_HOST: storeName, REDIS_PORT: String(store.port) },
    secretEnv: store.passwordSecret ? [{ name: "REDISCLI_AUTH", secret: store.passwordSecret }] : [],
  };
}

/** The slice of the stack file the jobs concern reads. */
export interface JobsInput {
  jobs: JobsConfig;
  dataStores: Record<string, DataStoreConfig>;
}

export function jobsConcern(ctx: StackContext, input: JobsInput): ConcernOutput {
  const jobs: ScheduledJob[] = Object.entries(input.jobs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, job]) => {
      const store =
        job.dataStore === undefined ? { env: {}, secretEnv: [] } : connection(input.dataStores, job.dataStore);
      const volumes: VolumeSpec[] = [
        ...job.volumes.map((v) => ({
          name: `${v.from}-${v.volume}`,
          mountPath: v.path,
          sizeBytes: 0,
          persistent: true,
          readOnly: v.readOnly,
          sharedFrom: { workload: v.from, volume: v.volume },
        })),
        { name: "tmp", mountPath: "/tmp", sizeBytes: 64 * 1024 ** 2, persistent: false, readOnly: false },
      ];
      const secretEnv: SecretEnv[] = [
        ...store.secretEnv,
        ...Object.entries(job.secretEnv)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([envName, secret]) => ({ name: envName, secret })),
      ];
      return {
        kind: "job",
        name,
        role: "job",
        image: { ref: job.image, build: job.build },
        command: [RUN_JOB, "--", ...job.command],
        env: {
          ...job.env,
          ...store.env,
          JOB_NAME: name,
          JOB_TIMEOUT_SECONDS: String(job.timeout),
          PUSHGATEWAY_URL: `http://${PUSHGATEWAY}:9091`,
        },
        secretEnv,
        files: [],
        secretFiles: [],
        volumes,
        resources: toResources(job.resources),
        securityContext: {
          runAsUser: job.security.runAsUser,
          runAsGroup: job.security.runAsGroup,
          fsGroup: job.security.runAsGroup,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
        },
        schedule: job.schedule,
        activeDeadlineSeconds: job.timeout + DEADLINE_MARGIN_SECONDS,
        // A failed run is reported and alerted on; the next scheduled run is the retry.
        backoffLimit: 0,
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        connectsTo: [...new Set([PUSHGATEWAY, ...(job.dataStore ? [job.dataStore] : []), ...job.connectsTo])].sort(),
        logPolicy: ctx.logPolicy,
        labels: { ...standardLabels(ctx, name, "job"), "ops-baseline/scheduled-job": name },
      } satisfies ScheduledJob;
    });
  return { workloads: [], jobs };
}
