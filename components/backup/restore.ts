// How each backed-up data store is listed and restored: the one place the generated runbooks
// (stacks/opsdocs) and the restore tests take restore commands from, so a change to how
// backups are made changes the documented and tested restore with it. Pure data: the command is
// an argv that runs inside the data store's backup job container (which has the backup volume,
// the client tools and the connection settings); the target wraps it in `docker exec` or a
// one-off Kubernetes Job.
import type { BackupInput } from "./config";
import { BACKUP_DIR, backedUpStores } from "./concern";
import { VOLUME_RESTORE_DIR } from "./paths";

/** Where the backup image installs its scripts (images/backup/Dockerfile). */
export const BACKUP_BIN_DIR = "/opt/ops-baseline/bin";

export interface RestoreLocations {
  /** The backup directory as the command sees it; BACKUP_DIR inside the job container. */
  backupDir: string;
  /** Directory of the backup scripts; BACKUP_BIN_DIR inside the image. */
  binDir: string;
}

export const IN_CONTAINER: RestoreLocations = { backupDir: BACKUP_DIR, binDir: BACKUP_BIN_DIR };

export interface RestoreProcedure {
  /** The data store (or `<service>-<volume>` archive) the backups belong to. */
  backup: string;
  kind: "postgresql" | "redis" | "volume";
  /** The scheduled job whose container (Docker) or template (Kubernetes) runs the commands. */
  job: string;
  /** Lists the backups, oldest first (file names carry their UTC time). */
  list: string[];
  /** Restores the newest backup into `target`; absent where no restore script exists. */
  restoreNewest?: (target: string) => string[];
  /** The database a restore goes into by default: a new one beside the live database. */
  defaultTarget?: string;
  /** The live database, for the restore that replaces it. */
  liveTarget?: string;
  /** A volume: the service whose volume it is, and the volume (restored by copying into it). */
  volume?: { service: string; name: string };
  /** Backup files of this store, as a shell glob in the backup directory (none for restic). */
  files: string[];
}

/** Every backup of the stack and how to list and restore it, in a stable order. */
export function restoreProcedures(config: BackupInput, at: RestoreLocations = IN_CONTAINER): RestoreProcedure[] {
  const procedures: RestoreProcedure[] = [];
  for (const name of backedUpStores(config)) {
    const store = config.dataStores[name];
    if (store.engine === "postgresql") {
      const files = [`${at.backupDir}/${name}-*.dump`, `${at.backupDir}/${name}-*.pgdir.tar`];
      procedures.push({
        backup: name,
        kind: "postgresql",
        job: `${name}-backup`,
        list: listCommand(files),
        files,
        // restore-postgres checks the checksum, creates the target database when missing and
        // restores with pg_restore --clean --if-exists --no-owner.
        restoreNewest: (target) => [
          "bash",
          "-c",
          `target=$1; shopt -s nullglob; set -- ${files.join(" ")}; ` +
            `[ $# -gt 0 ] || { echo "no backup of ${name} in ${at.backupDir}" >&2; exit 1; }; ` +
            `exec ${at.binDir}/restore-postgres "$(printf '%s\\n' "$@" | sort | tail -n 1)" "$target"`,
          "restore-postgres",
          target,
        ],
        defaultTarget: `${store.database}_restored`,
        liveTarget: store.database,
      });
    } else {
      const files = [`${at.backupDir}/${name}-*.rdb`];
      procedures.push({ backup: name, kind: "redis", job: `${name}-backup`, list: listCommand(files), files });
    }
  }
  for (const { service, volume } of config.backup.volumes) {
    const name = `${service}-${volume}`;
    // restic: the snapshots are in the volume's repository; restic-restore lists them and
    // restores one into an empty directory (by default on the backup volume, or a new volume).
    procedures.push({
      backup: name,
      kind: "volume",
      job: `${name}-archive`,
      list: [`${at.binDir}/restic-restore`, "--list"],
      restoreNewest: (target) => [`${at.binDir}/restic-restore`, target, "latest"],
      // Writable in the archive job: the backup volume (local repository) or its restore claim.
      defaultTarget:
        config.backup.pitr.repository.type === "s3"
          ? `${VOLUME_RESTORE_DIR}/${name}`
          : `${at.backupDir}/restore/${name}`,
      volume: { service, name: volume },
      files: [],
    });
  }
  return procedures;
}

function listCommand(files: string[]): string[] {
  return ["bash", "-c", `shopt -s nullglob; set -- ${files.join(" ")}; [ $# -eq 0 ] || ls -l "$@"`];
}
