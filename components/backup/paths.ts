// Where backups are written inside a job's container, and the workload their metrics are pushed to:
// shared by the dump, PITR and restic parts of the backup concern and by the stack's own jobs.
export const BACKUP_DIR = "/backups";
export const PUSHGATEWAY = "pushgateway";
/**
 * Where a volume restore lands inside its archive job: on the backup volume where the job has one
 * (a local restic repository), else on the job's own `restore` claim (an off-site repository: the
 * job has no backup volume and a read-only root).
 */
export const VOLUME_RESTORE_DIR = "/restore";
