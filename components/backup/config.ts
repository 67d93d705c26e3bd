// The backup part of the stack file: what is backed up, when, how long it is kept, and where.
import { z } from "zod";
import { cpu, cronExpression, duration, name, pinnedImage, size } from "../../stacks/config/fields";

const retentionSchema = z.strictObject({
  /** The newest N backups. */
  keepLast: z.number().int().min(1, "must keep at least the newest backup"),
  /** The newest backup of each of the last N days that have one. */
  keepDaily: z.number().int().min(0),
  /** The newest backup of each of the last N ISO weeks that have one. */
  keepWeekly: z.number().int().min(0),
  /** The newest backup of each of the last N months that have one. */
  keepMonthly: z.number().int().min(0),
});
export type RetentionConfig = z.output<typeof retentionSchema>;

const dataStoreBackupSchema = z.strictObject({
  enabled: z.boolean(),
  /** PostgreSQL: custom (one file) or directory (parallel dump with `jobs`). */
  format: z.enum(["custom", "directory"]).default("custom"),
  jobs: z.number().int().min(1).max(16).default(1),
});

export const backupConfigSchema = z.strictObject({
  image: pinnedImage(),
  build: z
    .strictObject({ context: z.string(), dockerfile: z.string(), args: z.record(z.string(), z.string()).default({}) })
    .optional(),
  resources: z.strictObject({
    requests: z.strictObject({ cpu: cpu(), memory: size() }),
    limits: z.strictObject({ cpu: cpu(), memory: size() }),
  }),
  schedule: cronExpression(),
  retention: retentionSchema,
  /** Where backups go: a named volume on Docker, a PersistentVolumeClaim on Kubernetes. */
  storage: size(),
  /** No successful backup for this long raises BackupStale (26h suits a daily schedule). */
  staleAfter: duration(),
  /** A run that takes longer is killed and counts as failed. */
  timeout: duration(),
  restoreDrill: z.strictObject({ enabled: z.boolean(), schedule: cronExpression() }),
  /** Persistent volumes of services archived as tarballs on the same schedule and retention. */
  volumes: z.array(z.strictObject({ service: name(), volume: name() })).default([]),
  /** Per data store; every data store is backed up unless it is listed here with enabled: false. */
  dataStores: z.record(name(), dataStoreBackupSchema).default({}),
});
export type BackupConfig = z.output<typeof backupConfigSchema>;
