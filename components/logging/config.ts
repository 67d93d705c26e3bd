// The logging part of the stack file: caps on every container's stdout/stderr, rotation of
// the log files that services write themselves, and the searchable log store (Loki) with its
// collector (Promtail).
import { z } from "zod";
import type { TargetConfig } from "../targets/config";
import type { ProfileName } from "../workloads/context";
import { buildSchema, duration, pinnedImage, port, resourcesSchema, size } from "../fields";

const DAY = 24 * 3600;

/** Loki with its compactor deleting chunks older than `retention`, and a collector feeding it. */
export const logStoreSchema = z.strictObject({
  enabled: z.boolean(),
  image: pinnedImage(),
  build: buildSchema.optional(),
  resources: resourcesSchema,
  storage: size(),
  hostPort: port().optional(),
  /** Lines older than this are deleted by Loki's compactor (RTAP: 7 days dev, 30 days prod). */
  retention: duration().refine((s) => s >= DAY && s % DAY === 0, {
    message: "must be a whole number of days (Loki's index period is 24h), e.g. 7d or 720h",
  }),
  /** Collects every container's stdout/stderr with its service and environment labels. */
  collector: z.strictObject({ image: pinnedImage(), build: buildSchema.optional(), resources: resourcesSchema }),
  /** Log-pattern alert: a line matching `pattern` (RE2) in any service pages a ticket. */
  alert: z.strictObject({
    pattern: z.string().min(1),
    window: duration(),
  }),
});
export type LogStoreConfig = z.output<typeof logStoreSchema>;

export const loggingConfigSchema = z.strictObject({
  /** Cap on every container's stdout/stderr (Docker log driver options; kubelet on Kubernetes). */
  containerLogs: z.strictObject({
    driver: z.enum(["json-file", "local"]),
    maxSize: size(),
    maxFiles: z.number().int().min(1).max(100),
  }),
  /** logrotate policy for files listed in a service's `logFiles`, run by a sidecar. */
  files: z.strictObject({
    image: z.string().min(1),
    build: buildSchema.optional(),
    /** daily / weekly rotation, or by size only. */
    frequency: z.enum(["daily", "weekly", "size"]),
    /** Rotate as soon as a file exceeds this size (checked every `checkEvery` seconds). */
    maxSize: size(),
    rotate: z.number().int().min(1).max(366),
    compress: z.boolean(),
    /** Only for applications that cannot reopen their files: it can lose lines. */
    copytruncate: z.boolean(),
    checkEverySeconds: z.number().int().min(10),
    resources: resourcesSchema,
  }),
  store: logStoreSchema,
});
export type LoggingConfig = z.output<typeof loggingConfigSchema>;

/** What the log store concern reads: its own part, and where the stack runs. */
export interface LogStoreInput {
  environment: string;
  profile: ProfileName;
  target: TargetConfig;
  logging: Pick<LoggingConfig, "store" | "containerLogs">;
}
