// The logging part of the stack file: caps on every container's stdout/stderr, rotation of
// the log files that services write themselves, and the searchable log store (Loki) with its
// collector (Promtail).
import { z } from "zod";
import { goBinaryImage, UPSTREAM_IMAGES, VERSIONS } from "../monitoring/versions";
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

/** Log-pattern alert of the log store: a crash or fatal line in any service opens a ticket. */
const logAlert = { pattern: "(?i)(panic|fatal|out of memory)", window: "5m" };

/** The logging defaults of each profile. Merged under the stack file's `logging` before validation (stacks/config/defaults.ts). */
export const LOGGING_DEFAULTS = {
  dev: {
    containerLogs: { driver: "json-file", maxSize: "10MB", maxFiles: 5 },
    // RTAP runbook: daily, 7 kept, compressed; RTT: rotate at 10 MB.
    files: {
      image: "ops-baseline/logrotate:3.21-bookworm",
      build: { context: "images/logrotate", dockerfile: "images/logrotate/Dockerfile" },
      frequency: "daily",
      maxSize: "10MB",
      rotate: 7,
      compress: true,
      copytruncate: false,
      checkEverySeconds: 300,
      resources: { requests: { cpu: "10m", memory: "8Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
    },
    // RTAP runbook: log aggregation on 3100, 7 days kept in dev.
    store: {
      enabled: true,
      ...goBinaryImage("loki", VERSIONS.loki, "loki", "/loki", 10001),
      resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
      storage: "2Gi",
      hostPort: 3100,
      retention: "7d",
      collector: {
        ...goBinaryImage("promtail", VERSIONS.loki, "promtail"),
        resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
      },
      alert: logAlert,
    },
  },
  prod: {
    containerLogs: { driver: "json-file", maxSize: "10MB", maxFiles: 5 },
    files: {
      image: "ghcr.io/ops-baseline/logrotate:3.21-bookworm",
      frequency: "daily",
      maxSize: "10MB",
      rotate: 30,
      compress: true,
      copytruncate: false,
      checkEverySeconds: 300,
      resources: { requests: { cpu: "10m", memory: "8Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
    },
    // RTAP runbook: 30 days kept in prod.
    store: {
      enabled: true,
      image: UPSTREAM_IMAGES.loki,
      resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
      storage: "50Gi",
      retention: "30d",
      collector: {
        // The project's image of the same build (images/go-binary, stage promtail-<version>):
        // upstream stopped publishing Promtail images with Loki 3.6.
        image: `ghcr.io/ops-baseline/promtail:${VERSIONS.loki}`,
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
      },
      alert: logAlert,
    },
  },
};
