// Point-in-time recovery for PostgreSQL with pgBackRest. The server archives every WAL segment
// (archive_command, at least every archiveTimeout) into the repository; a `pgbackrest` sidecar in
// the server's pod (pgBackRest reads the data directory and talks to the server on its socket, so
// it runs beside it on either target) takes full and differential backups on their schedules and
// verifies the repository after each one. The repository is an S3 bucket outside the cluster
// (prod) or a volume (dev). Everything pgBackRest reads comes from PGBACKREST_* variables; the
// cipher passphrase and S3 keys are Pulumi secrets.
import type { BackupInput } from "./config";
import { toResources } from "../workloads/resources";
import { PUSHGATEWAY } from "./paths";
import type { ConcernOutput, ExternalEgress, SecretEnv, Sidecar, VolumeSpec, Workload } from "../workloads/model";

export const PGBACKREST_REPO_DIR = "/var/lib/pgbackrest";
export const POSTGRES_SOCKET_DIR = "/var/run/postgresql";
const BIN = "/opt/ops-baseline/bin";

export interface PgBackRestEnv {
  env: Record<string, string>;
  secretEnv: SecretEnv[];
}

/** Repository settings shared by archive_command, the backup sidecar and the restore drill. */
export function pgbackrestRepositoryEnv(config: BackupInput, store: string): PgBackRestEnv {
  const pitr = config.backup.pitr;
  const env: Record<string, string> = {
    PGBACKREST_STANZA: store,
    PGBACKREST_REPO1_CIPHER_TYPE: "aes-256-cbc",
    PGBACKREST_REPO1_RETENTION_FULL: String(pitr.retention.full),
    PGBACKREST_REPO1_RETENTION_FULL_TYPE: pitr.retention.fullType,
    PGBACKREST_REPO1_RETENTION_DIFF: String(pitr.retention.diff),
    PGBACKREST_LOCK_PATH: "/tmp/pgbackrest",
    PGBACKREST_LOG_LEVEL_FILE: "off",
    PGBACKREST_COMPRESS_TYPE: "zst",
  };
  const secretEnv: SecretEnv[] = [{ name: "PGBACKREST_REPO1_CIPHER_PASS", secret: pitr.cipherPassSecret }];
  const repo = pitr.repository;
  if (repo.type === "s3") {
    Object.assign(env, {
      PGBACKREST_REPO1_TYPE: "s3",
      PGBACKREST_REPO1_PATH: `${repo.path.replace(/\/$/, "")}/${store}`,
      PGBACKREST_REPO1_S3_BUCKET: repo.bucket,
      PGBACKREST_REPO1_S3_ENDPOINT: repo.endpoint,
      PGBACKREST_REPO1_STORAGE_PORT: String(repo.port),
      PGBACKREST_REPO1_S3_REGION: repo.region,
      PGBACKREST_REPO1_S3_URI_STYLE: repo.uriStyle,
    });
    secretEnv.push(
      { name: "PGBACKREST_REPO1_S3_KEY", secret: repo.accessKeySecret },
      { name: "PGBACKREST_REPO1_S3_KEY_SECRET", secret: repo.secretKeySecret },
    );
  } else {
    Object.assign(env, { PGBACKREST_REPO1_TYPE: "posix", PGBACKREST_REPO1_PATH: PGBACKREST_REPO_DIR });
  }
  return { env: sorted(env), secretEnv };
}

function sorted(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
}

/** The repository volume of a dev stack (none for S3). */
/**
 * The egress an S3 repository needs from every pod that reads or writes it (the PostgreSQL pod's
 * archive_command and backup sidecar, the restore drill): without it the default-deny policy
 * drops WAL archiving, and pg_wal grows until the disk is full. A volume repository needs none.
 */
export function repositoryEgress(config: BackupInput): ExternalEgress[] {
  const repo = config.backup.pitr.repository;
  if (!repo || repo.type !== "s3") return [];
  return [{ name: "pgbackrest-repository", cidrs: repo.egress.cidrs, except: repo.egress.except, ports: [repo.port] }];
}

export function repositoryVolume(config: BackupInput, readOnly: boolean): VolumeSpec[] {
  const repo = config.backup.pitr.repository;
  if (repo.type !== "volume") return [];
  return [{ name: "pgbackrest", mountPath: PGBACKREST_REPO_DIR, sizeBytes: repo.storage, persistent: true, readOnly }];
}

/** Server settings for continuous archiving, as `postgres -c` arguments. */
export function archiveArgs(config: BackupInput): string[] {
  return [
    ["wal_level", "replica"],
    ["archive_mode", "on"],
    ["archive_command", "pgbackrest archive-push %p"],
    ["archive_timeout", `${config.backup.pitr.archiveTimeout}s`],
  ].flatMap(([k, v]) => ["-c", `${k}=${v}`]);
}

function backupSidecar(config: BackupInput, w: Workload, repo: PgBackRestEnv, pgdata: string): Sidecar {
  const pitr = config.backup.pitr;
  // pgBackRest connects as the store's backup role when there is one (ensure-roles grants it the
  // backup functions in the store's database); it reads the data directory as the OS user.
  const store = config.dataStores[w.name];
  const role = store?.engine === "postgresql" ? store.roles.backup : undefined;
  const asRole: PgBackRestEnv =
    role && store.engine === "postgresql"
      ? {
          env: { PGBACKREST_PG1_USER: role.name, PGBACKREST_PG1_DATABASE: store.database },
          secretEnv: [{ name: "PGPASSWORD", secret: role.passwordSecret }],
        }
      : { env: {}, secretEnv: [] };
  const alive = {
    check: { type: "exec" as const, command: ["sh", "-c", "pgrep -f 'schedule ' >/dev/null"] },
    periodSeconds: 60,
    timeoutSeconds: 5,
    failureThreshold: 3,
    initialDelaySeconds: 30,
  };
  return {
    name: "pgbackrest",
    health: { liveness: alive, readiness: alive },
    image: { ref: config.backup.image, build: config.backup.build },
    command: [`${BIN}/pgbackrest-scheduler`],
    env: sorted({
      ...repo.env,
      // Its own Pushgateway group: the logical dump of the same store reports as backup="<name>".
      BACKUP_NAME: `${w.name}-pitr`,
      FULL_SCHEDULE: pitr.fullSchedule,
      DIFF_SCHEDULE: pitr.diffSchedule,
      MAX_AGE_SECONDS: String(config.backup.staleAfter),
      PGBACKREST_PG1_PATH: pgdata,
      PGBACKREST_PG1_SOCKET_PATH: POSTGRES_SOCKET_DIR,
      PUSHGATEWAY_URL: "http://pushgateway:9091",
      ...asRole.env,
    }),
    secretEnv: [...repo.secretEnv, ...asRole.secretEnv],
    files: [],
    secretFiles: [],
    volumes: [
      ...w.volumes.filter((v) => v.name === "data" || v.name === "run").map((v) => ({ ...v })),
      ...repositoryVolume(config, false),
      { name: "pgbackrest-tmp", mountPath: "/tmp", sizeBytes: 256 * 1024 ** 2, persistent: false, readOnly: false },
    ],
    resources: toResources(config.backup.resources),
    securityContext: { ...w.securityContext, readOnlyRootFilesystem: true },
  };
}

/** Adds archiving and the backup sidecar to every backed-up PostgreSQL data store. */
export function applyPitr(config: BackupInput, input: ConcernOutput, backedUp: string[]): ConcernOutput {
  const workloads = input.workloads.map((w) => {
    const store = config.dataStores[w.name];
    if (!store || store.engine !== "postgresql" || !backedUp.includes(w.name)) return w;
    const repo = pgbackrestRepositoryEnv(config, w.name);
    const pgdata = w.env.PGDATA;
    const run: VolumeSpec = {
      name: "run",
      mountPath: POSTGRES_SOCKET_DIR,
      sizeBytes: 1024 ** 2,
      persistent: false,
      readOnly: false,
    };
    const withArchive: Workload = {
      ...w,
      args: [...(w.args ?? []), ...archiveArgs(config)],
      env: sorted({ ...w.env, ...repo.env, PGBACKREST_PG1_PATH: pgdata }),
      secretEnv: [...w.secretEnv, ...repo.secretEnv],
      volumes: [...w.volumes, run, ...repositoryVolume(config, false)],
      // The backup sidecar pushes its metrics to the Pushgateway; the repository may be off-site.
      connectsTo: [...new Set([...w.connectsTo, PUSHGATEWAY])].sort(),
      egress: [...(w.egress ?? []), ...repositoryEgress(config)],
    };
    return { ...withArchive, sidecars: [...w.sidecars, backupSidecar(config, withArchive, repo, pgdata)] };
  });
  return { ...input, workloads };
}
