// Volume backups with restic: where each volume's repository is and the environment the scripts
// (images/backup/bin/restic-backup, restic-restore) read. One repository per volume, so a
// volume's snapshots, locks and pruning never touch another's: in the pgBackRest repository's
// S3 bucket under `restic/<service>-<volume>` (prod: off-site, survives destroy), or on the
// backup volume (dev: local only).
import type { BackupInput } from "./config";
import type { SecretEnv } from "../workloads/model";
import { BACKUP_DIR } from "./paths";

export interface ResticEnv {
  env: Record<string, string>;
  secretEnv: SecretEnv[];
}

/** The restic repository of one volume backup (`<service>-<volume>`). */
export function resticRepository(config: BackupInput, name: string): string {
  const repo = config.backup.pitr.repository;
  if (repo.type === "s3") return `s3:https://${repo.endpoint}:${repo.port}/${repo.bucket}/restic/${name}`;
  return `${BACKUP_DIR}/restic/${name}`;
}

export function resticEnv(config: BackupInput, name: string): ResticEnv {
  const restic = config.backup.restic;
  const repo = config.backup.pitr.repository;
  const env: Record<string, string> = {
    KEEP_DAILY: String(restic.retention.keepDaily),
    KEEP_LAST: String(restic.retention.keepLast),
    KEEP_MONTHLY: String(restic.retention.keepMonthly),
    KEEP_WEEKLY: String(restic.retention.keepWeekly),
    RESTIC_CHECK_SUBSET: restic.checkSubset,
    RESTIC_REPOSITORY: resticRepository(config, name),
  };
  const secretEnv: SecretEnv[] = [{ name: "RESTIC_PASSWORD", secret: restic.passwordSecret }];
  if (repo.type === "s3") {
    env.RESTIC_S3_BUCKET_LOOKUP = repo.uriStyle === "path" ? "path" : "dns";
    env.RESTIC_S3_REGION = repo.region;
    secretEnv.push(
      { name: "AWS_ACCESS_KEY_ID", secret: repo.accessKeySecret },
      { name: "AWS_SECRET_ACCESS_KEY", secret: repo.secretKeySecret },
    );
  }
  return { env: Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b))), secretEnv };
}
