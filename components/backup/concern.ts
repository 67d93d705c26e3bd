// The backup concern: a scheduled dump of every data store, into a backup volume, with a weekly
// restore drill for PostgreSQL. The same image and scripts (images/backup) run as CronJobs on
// Kubernetes and under the `schedule` wrapper in a container on Docker.
import type { BackupInput } from "./config";
import { standardLabels } from "../workloads/labels";
import type { StackContext } from "../workloads/context";
import { toResources } from "../workloads/resources";
import { nonRootUser } from "../workloads/security";
import type { ConcernOutput, ContainerSpec, ScheduledJob, VolumeSpec } from "../workloads/model";
import { pgbackrestRepositoryEnv, repositoryEgress, repositoryVolume } from "./pgbackrest";
import { BACKUP_DIR, PUSHGATEWAY, VOLUME_RESTORE_DIR } from "./paths";
import { resticEnv } from "./restic";

export { BACKUP_DIR, PUSHGATEWAY };

/** Room for the drill's logs and writable layer beside its scratch volumes. */
const DRILL_LOG_HEADROOM_BYTES = 256 * 1024 ** 2;

function jobBase(
  ctx: StackContext,
  config: BackupInput,
  name: string,
  backupOf: string,
): Omit<ScheduledJob, keyof ContainerSpec | "schedule"> {
  return {
    kind: "job",
    name,
    role: "backup",
    activeDeadlineSeconds: config.backup.timeout,
    backoffLimit: 1,
    startingDeadlineSeconds: 600,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
    connectsTo: [backupOf, PUSHGATEWAY],
    logPolicy: ctx.logPolicy,
    labels: { ...standardLabels(ctx, name, "backup"), "ops-baseline/backup-of": backupOf },
  };
}

function container(
  config: BackupInput,
  command: string[],
  env: Record<string, string>,
  volumes: VolumeSpec[],
  secretEnv: ContainerSpec["secretEnv"],
): ContainerSpec {
  const b = config.backup;
  return {
    image: { ref: b.image, build: b.build },
    command,
    env: {
      BACKUP_DIR,
      KEEP_DAILY: String(b.retention.keepDaily),
      KEEP_LAST: String(b.retention.keepLast),
      KEEP_MONTHLY: String(b.retention.keepMonthly),
      KEEP_WEEKLY: String(b.retention.keepWeekly),
      MAX_AGE_SECONDS: String(b.staleAfter),
      PUSHGATEWAY_URL: `http://${PUSHGATEWAY}:9091`,
      ...env,
    },
    secretEnv,
    files: [],
    secretFiles: [],
    volumes,
    resources: toResources(b.resources),
    securityContext: nonRootUser(999),
  };
}

/** Data stores that are backed up: all of them, unless one is disabled explicitly. */
export function backedUpStores(config: BackupInput): string[] {
  return (
    Object.keys(config.dataStores)
      .filter((name) => config.backup.dataStores[name]?.enabled !== false)
      // JetStream's store is not backed up yet (no stream snapshot job): NATS is left out.
      .filter((name) => config.dataStores[name].engine !== "nats")
      .sort()
  );
}

/** The `backup` label of every configured backup and restore drill (what the alerts expect). */
export function backupNames(config: BackupInput): { backups: string[]; drills: string[] } {
  const stores = backedUpStores(config);
  const postgres = stores.filter((s) => config.dataStores[s].engine === "postgresql");
  return {
    backups: [
      ...stores,
      ...postgres.map((s) => `${s}-pitr`),
      ...config.backup.volumes.map(({ service, volume }) => `${service}-${volume}`),
    ].sort(),
    drills: config.backup.restoreDrill.enabled ? postgres : [],
  };
}

/**
 * The secrets the backups read, each with the stack file key that names it: the pgBackRest
 * cipher passphrase only when a PostgreSQL store is backed up, the S3 keys only when something
 * uses the S3 repository (pgBackRest, or restic for volumes), the restic password only for
 * volumes. Nothing when nothing is backed up.
 */
export function backupSecretUses(config: BackupInput): Array<[secret: string, usedAt: string]> {
  const { pitr, restic, volumes } = config.backup;
  const pgbackrest = backedUpStores(config).some((name) => config.dataStores[name].engine === "postgresql");
  const uses: Array<[string, string]> = [];
  if (pgbackrest) uses.push([pitr.cipherPassSecret, "backup.pitr.cipherPassSecret"]);
  if (pitr.repository.type === "s3" && (pgbackrest || volumes.length > 0)) {
    uses.push([pitr.repository.accessKeySecret, "backup.pitr.repository.accessKeySecret"]);
    uses.push([pitr.repository.secretKeySecret, "backup.pitr.repository.secretKeySecret"]);
  }
  if (volumes.length > 0) uses.push([restic.passwordSecret, "backup.restic.passwordSecret"]);
  return uses;
}

export function backupConcern(ctx: StackContext, config: BackupInput): ConcernOutput {
  const jobs: ScheduledJob[] = [];
  for (const name of backedUpStores(config)) {
    const store = config.dataStores[name];
    const jobName = `${name}-backup`;
    const volume: VolumeSpec = {
      name: "backups",
      mountPath: BACKUP_DIR,
      sizeBytes: config.backup.storage,
      persistent: true,
      readOnly: false,
    };
    const scratch: VolumeSpec = {
      name: "tmp",
      mountPath: "/tmp",
      sizeBytes: 64 * 1024 ** 2,
      persistent: false,
      readOnly: false,
    };
    if (store.engine === "postgresql") {
      const options = config.backup.dataStores[name] ?? { format: "custom", jobs: 1 };
      const pgEnv = { PGHOST: name, PGPORT: String(store.port), PGUSER: store.user, PGDATABASE: store.database };
      const secretEnv = [{ name: "PGPASSWORD", secret: store.passwordSecret }];
      jobs.push({
        ...jobBase(ctx, config, jobName, name),
        ...container(
          config,
          ["/opt/ops-baseline/bin/backup-postgres"],
          { ...pgEnv, BACKUP_NAME: name, FORMAT: options.format, JOBS: String(options.jobs) },
          [volume, scratch],
          secretEnv,
        ),
        schedule: config.backup.schedule,
      });
      if (config.backup.restoreDrill.enabled) {
        // Restores the pgBackRest repository into a throwaway server in its own scratch volume;
        // production is only read (fingerprints, a restore point). Metrics go to the Pushgateway.
        const repo = pgbackrestRepositoryEnv(config, name);
        const drill = container(
          config,
          ["/opt/ops-baseline/bin/restore-drill"],
          {
            ...pgEnv,
            ...repo.env,
            BACKUP_NAME: name,
            DRILL_DIR: "/drill",
            MAX_AGE_SECONDS: String(config.backup.restoreDrill.staleAfter),
          },
          [
            ...repositoryVolume(config, true).map((v) => ({ ...v, sharedFrom: { workload: name, volume: v.name } })),
            {
              name: "drill",
              mountPath: "/drill",
              sizeBytes: config.backup.pitr.drillStorage,
              persistent: false,
              readOnly: false,
            },
            scratch,
          ],
          [...secretEnv, ...repo.secretEnv],
        );
        delete drill.env.BACKUP_DIR;
        // The throwaway server lives on node-local disk: the node must have room for it
        // (request), and the pod may use its scratch, /tmp and its logs, no more (limit).
        const scratchBytes = config.backup.pitr.drillStorage + scratch.sizeBytes;
        drill.resources = {
          ...drill.resources,
          ephemeralStorageRequestBytes: scratchBytes,
          ephemeralStorageLimitBytes: scratchBytes + DRILL_LOG_HEADROOM_BYTES,
        };
        jobs.push({
          ...jobBase(ctx, config, `${name}-restore-drill`, name),
          ...drill,
          egress: repositoryEgress(config),
          schedule: config.backup.restoreDrill.schedule,
        });
      }
    } else {
      jobs.push({
        ...jobBase(ctx, config, jobName, name),
        ...container(
          config,
          ["/opt/ops-baseline/bin/backup-redis"],
          { REDIS_HOST: name, REDIS_PORT: String(store.port), BACKUP_NAME: name },
          [volume, scratch],
          store.engine === "redis" && store.passwordSecret
            ? [{ name: "REDISCLI_AUTH", secret: store.passwordSecret }]
            : [],
        ),
        schedule: config.backup.schedule,
      });
    }
  }
  for (const { service, volume } of config.backup.volumes) {
    const name = `${service}-${volume}`;
    const jobName = `${name}-archive`;
    // The backup runs as the service's own user, so it reads every file the service wrote.
    const owner = config.services[service]?.security;
    const securityContext = {
      runAsUser: owner?.runAsUser ?? 999,
      runAsGroup: owner?.runAsGroup ?? 999,
      fsGroup: owner?.fsGroup ?? owner?.runAsGroup ?? 999,
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
    };
    const restic = resticEnv(config, name);
    const local = config.backup.pitr.repository.type !== "s3";
    const spec = container(
      config,
      ["/opt/ops-baseline/bin/restic-backup"],
      { ...restic.env, BACKUP_NAME: name, SOURCE_DIR: "/source" },
      [
        // dev: the restic repository lives on the backup volume (local only).
        ...(local
          ? [
              {
                name: "backups",
                mountPath: BACKUP_DIR,
                sizeBytes: config.backup.storage,
                persistent: true,
                readOnly: false,
              },
            ]
          : []),
        {
          name: "source",
          mountPath: "/source",
          sizeBytes: 0,
          persistent: true,
          readOnly: true,
          sharedFrom: { workload: service, volume },
        },
        // Off-site repository: a claim of the job's own that restores are written to (the root
        // is read-only and there is no backup volume), as large as the volume it restores.
        ...(local
          ? []
          : [
              {
                name: "restore",
                mountPath: VOLUME_RESTORE_DIR,
                sizeBytes: config.services[service]?.volumes.find((v) => v.name === volume)?.size ?? 0,
                persistent: true,
                readOnly: false,
              },
            ]),
        // restic stages packs (16 MiB) in temporary files until uploaded: a 300 MB backup failed
        // with a 16 MiB /tmp (no space left), passed with 64 MiB against a local repository; S3
        // uploads up to five packs at once, hence the margin.
        { name: "tmp", mountPath: "/tmp", sizeBytes: 256 * 1024 ** 2, persistent: false, readOnly: false },
      ],
      restic.secretEnv,
    );
    // Off-site repository: no backup volume; the metrics file is scratch in /tmp.
    if (!local) delete spec.env.BACKUP_DIR;
    jobs.push({
      ...jobBase(ctx, config, jobName, service),
      ...spec,
      securityContext,
      // Reads the mounted volume, writes to the repository (S3 or the backup volume), pushes metrics.
      connectsTo: [PUSHGATEWAY],
      egress: repositoryEgress(config),
      schedule: config.backup.schedule,
    });
  }
  if (config.monitoring.enabled && jobs.length > 0) {
    // A removed data store or volume leaves its last push in the Pushgateway (persisted); this
    // job deletes the groups of backups and drills the stack no longer configures.
    const names = backupNames(config);
    const spec = container(
      config,
      ["/opt/ops-baseline/bin/pushgateway-prune"],
      { CONFIGURED_BACKUPS: names.backups.join(" "), CONFIGURED_RESTORE_DRILLS: names.drills.join(" ") },
      [{ name: "tmp", mountPath: "/tmp", sizeBytes: 16 * 1024 ** 2, persistent: false, readOnly: false }],
      [],
    );
    for (const k of ["BACKUP_DIR", "KEEP_DAILY", "KEEP_LAST", "KEEP_MONTHLY", "KEEP_WEEKLY", "MAX_AGE_SECONDS"])
      delete spec.env[k];
    const name = "backup-metrics-prune";
    jobs.push({
      ...jobBase(ctx, config, name, PUSHGATEWAY),
      ...spec,
      // Monitoring housekeeping, not a backup: no backup alert or disk procedure lists it.
      role: "monitoring",
      connectsTo: [PUSHGATEWAY],
      labels: standardLabels(ctx, name, "monitoring"),
      schedule: config.backup.schedule,
    });
  }
  return { workloads: [], jobs };
}
