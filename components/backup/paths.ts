// Where backups are written inside a job's container, and the workload their metrics are pushed to:
// shared by the dump, PITR and restic parts of the backup concern and by the stack's own jobs.
export const BACKUP_DIR = "/backups";
export const PUSHGATEWAY = "pushgateway";
