// The backup part of the stack file: what is backed up, when, how long it is kept, and where.
import { z } from "zod";

import type { DataStoreConfig, ServiceConfig } from "../services/config";
import {
  buildSchema,
  cronExpression,
  duration,
  egress,
  name,
  pinnedImage,
  port,
  resourcesSchema,
  size,
} from "../fields";

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

const secretName = () => z.string().min(1, "must name an entry of secrets");

/** An S3-compatible bucket outside the cluster and the namespace: survives both being lost. */
const s3RepositorySchema = z.strictObject({
  type: z.literal("s3"),
  endpoint: z
    .string()
    .regex(/^[a-z0-9.-]+$/, "must be a host name such as s3.eu-central-1.amazonaws.com (no scheme, no port)"),
  port: port().default(443),
  bucket: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      "must be an S3 bucket name (3-63 lowercase letters, digits, '.', '-')",
    ),
  region: z.string().min(1),
  /** `path` for servers without virtual-host buckets (MinIO, versitygw). */
  uriStyle: z.enum(["host", "path"]).default("host"),
  /** Key prefix inside the bucket; each data store gets its own directory below it. */
  path: z.string().startsWith("/", "must start with /").default("/pgbackrest"),
  accessKeySecret: secretName(),
  secretKeySecret: secretName(),
  /**
   * Where the endpoint's addresses lie, for the egress NetworkPolicy of the PostgreSQL pod
   * (archive_command, the backup sidecar) and the restore drill: by default any public address,
   * never the private, link-local or CGNAT ranges. Name the ranges of an endpoint inside them.
   */
  egress: egress()
    .omit({ ports: true })
    .default({
      cidrs: ["0.0.0.0/0"],
      except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
    }),
});

/** A repository on a volume of the target: fine for dev, lost with the target (not off-site). */
const volumeRepositorySchema = z.strictObject({ type: z.literal("volume"), storage: size() });

/** pgBackRest: continuous WAL archiving plus scheduled full and differential backups. */
const pitrSchema = z.strictObject({
  repository: z.discriminatedUnion("type", [s3RepositorySchema, volumeRepositorySchema], {
    error: "must be {type: s3, endpoint, bucket, region, accessKeySecret, secretKeySecret} or {type: volume, storage}",
  }),
  /** Repository encryption (aes-256-cbc); the passphrase is a Pulumi secret. */
  cipherPassSecret: secretName(),
  /** A WAL segment is archived at least this often: the recovery point objective. */
  archiveTimeout: duration().refine((s) => s >= 1 && s <= 60, "must be between 1s and 60s: it bounds the data lost"),
  fullSchedule: cronExpression(),
  diffSchedule: cronExpression(),
  retention: z.strictObject({
    /** Full backups kept: a count, or days when fullType is time. */
    full: z.number().int().min(1, "must keep at least one full backup"),
    fullType: z.enum(["count", "time"]),
    /** Differential backups kept (counted per full backup chain). */
    diff: z.number().int().min(1),
  }),
  /** Scratch space of the restore drill's throwaway server (at least the database's size). */
  drillStorage: size(),
});
export type PitrConfig = z.output<typeof pitrSchema>;

/**
 * restic: the volume backups (`volumes`), encrypted and deduplicated, in the pgBackRest
 * repository's bucket under `restic/<service>-<volume>` (S3) or on the backup volume (dev).
 */
const resticSchema = z.strictObject({
  /** The repository password (restic encrypts everything with a key it unlocks), a Pulumi secret. */
  passwordSecret: secretName(),
  /** `restic forget --prune` keep rules, per volume. */
  retention: retentionSchema,
  /** Share of the packs `restic check` reads back after each run: a damaged pack among them fails it. */
  checkSubset: z
    .string()
    .regex(/^(100|[1-9][0-9]?)(\.[0-9]+)?%$/, "must be the share of packs restic check reads back, e.g. 10% or 100%"),
});
export type ResticConfig = z.output<typeof resticSchema>;

export const backupConfigSchema = z.strictObject({
  image: pinnedImage(),
  build: buildSchema.optional(),
  resources: resourcesSchema,
  schedule: cronExpression(),
  retention: retentionSchema,
  /** Where backups go: a named volume on Docker, a PersistentVolumeClaim on Kubernetes. */
  storage: size(),
  /** No successful backup for this long raises BackupStale (26h suits a daily schedule). */
  staleAfter: duration(),
  /** A run that takes longer is killed and counts as failed. */
  timeout: duration(),
  restoreDrill: z.strictObject({
    enabled: z.boolean(),
    schedule: cronExpression(),
    /** No passing drill for this long raises RestoreDrillStale (a little over the period). */
    staleAfter: duration(),
  }),
  /** Persistent volumes of services backed up with restic (`restic`) on the same schedule. */
  volumes: z.array(z.strictObject({ service: name(), volume: name() })).default([]),
  /** Point-in-time recovery of PostgreSQL data stores with pgBackRest. */
  pitr: pitrSchema,
  /** The restic repository of the volume backups. */
  restic: resticSchema,
  /** Per data store; every data store is backed up unless it is listed here with enabled: false. */
  dataStores: z.record(name(), dataStoreBackupSchema).default({}),
});
export type BackupConfig = z.output<typeof backupConfigSchema>;

/** The slice of the stack file the backup concern reads: its own part, and what it backs up. */
export interface BackupInput {
  backup: BackupConfig;
  dataStores: Record<string, DataStoreConfig>;
  services: Record<string, ServiceConfig>;
  monitoring: { enabled: boolean };
}

/** The backup defaults of each profile. Merged under the stack file's `backup` before validation (stacks/config/defaults.ts). */
export const BACKUP_DEFAULTS = {
  dev: {
    image: "ops-baseline/backup:0.1.0",
    build: { context: "images/backup", dockerfile: "images/backup/Dockerfile" },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    schedule: "30 2 * * *",
    retention: { keepLast: 3, keepDaily: 7, keepWeekly: 0, keepMonthly: 0 },
    storage: "5Gi",
    staleAfter: "26h",
    timeout: "1h",
    restoreDrill: { enabled: true, schedule: "30 6 * * 0", staleAfter: "192h" },
    // dev keeps its pgBackRest repository on a local volume; prod names an S3 bucket.
    pitr: {
      repository: { type: "volume", storage: "5Gi" },
      cipherPassSecret: "pgbackrestCipherPass",
      archiveTimeout: "60s",
      fullSchedule: "15 2 * * 0",
      diffSchedule: "15 2 * * 1-6",
      retention: { full: 2, fullType: "count", diff: 6 },
      drillStorage: "4Gi",
    },
    // Volumes with restic: a repository on the backup volume, every pack read back by check.
    restic: {
      passwordSecret: "resticPassword",
      retention: { keepLast: 3, keepDaily: 7, keepWeekly: 0, keepMonthly: 0 },
      checkSubset: "100%",
    },
  },
  prod: {
    image: "ghcr.io/ops-baseline/backup:0.1.0",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } },
    schedule: "30 2 * * *",
    // C0Di3 runbook: daily dumps kept 30 days; plus weeks and months.
    retention: { keepLast: 7, keepDaily: 30, keepWeekly: 8, keepMonthly: 12 },
    storage: "100Gi",
    staleAfter: "26h",
    timeout: "2h",
    restoreDrill: { enabled: true, schedule: "30 6 * * 0", staleAfter: "192h" },
    // The repository (an S3 bucket outside the cluster) is named in Pulumi.prod.yaml.
    pitr: {
      cipherPassSecret: "pgbackrestCipherPass",
      archiveTimeout: "60s",
      fullSchedule: "15 1 * * 0",
      diffSchedule: "15 1 * * 1-6",
      // Four weekly full backups, i.e. about 30 days of point-in-time recovery (C0Di3: 30 days).
      retention: { full: 4, fullType: "count", diff: 6 },
      drillStorage: "200Gi",
    },
    // Volumes with restic, in the pgBackRest bucket; RTAP: application logs kept 30 days.
    // check reads a tenth of the packs back each night (all of them within about a month).
    restic: {
      passwordSecret: "resticPassword",
      retention: { keepLast: 7, keepDaily: 30, keepWeekly: 0, keepMonthly: 0 },
      checkSubset: "10%",
    },
  },
};
