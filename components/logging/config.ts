// The logging part of the stack file: caps on every container's stdout/stderr, rotation of
// the log files that services write themselves, and the searchable log store (VictoriaLogs) with
// its collector (the project's OpenTelemetry Collector).
import { z } from "zod";
import { goBinaryImage, UPSTREAM_IMAGES, VERSIONS } from "../monitoring/versions";
import type { TargetConfig } from "../targets/config";
import type { ProfileName } from "../workloads/context";
import { buildSchema, duration, pinnedImage, port, resourcesSchema, size } from "../fields";

const DAY = 24 * 3600;

/** VictoriaLogs keeping `retention` (whole days) within `maxDiskUsage`, and a collector feeding it. */
export const logStoreSchema = z
  .strictObject({
    enabled: z.boolean(),
    image: pinnedImage(),
    build: buildSchema.optional(),
    resources: resourcesSchema,
    /** Size of the store's volume. */
    storage: size(),
    /**
     * The store drops its oldest days once its data reaches this size, before the volume fills
     * (VictoriaLogs' -retention.maxDiskSpaceUsageBytes). At most `storage`.
     */
    maxDiskUsage: size(),
    hostPort: port().optional(),
    /** Lines older than this are deleted (RTAP: 7 days dev, 30 days prod; RAVE: 7 days). */
    retention: duration().refine((s) => s >= DAY && s % DAY === 0, {
      message: "must be a whole number of days (VictoriaLogs keeps one partition per day), e.g. 7d or 720h",
    }),
    /** Collects every container's stdout/stderr with its service and environment. */
    collector: z.strictObject({ image: pinnedImage(), build: buildSchema.optional(), resources: resourcesSchema }),
    /** Log-pattern alert: lines matching `pattern` (RE2) in a service within `window` open a ticket. */
    alert: z.strictObject({
      pattern: z.string().min(1),
      window: duration(),
    }),
    /**
     * Logs-stopped alert: a service that is up (its scrape target answers) but wrote no line for
     * `window`. `exclude` lists services that are quiet by design.
     */
    logsStopped: z.strictObject({
      window: duration().refine((s) => s >= 300, {
        message: "must be at least 5m (the collector's counts are scraped every 15 s)",
      }),
      exclude: z.array(z.string().min(1)),
    }),
  })
  .superRefine((store, ctx) => {
    if (store.maxDiskUsage > store.storage) {
      ctx.addIssue({
        code: "custom",
        path: ["maxDiskUsage"],
        message: `must be at most storage (${store.storage} bytes): the volume would fill before the store drops old days; e.g. 80% of storage`,
      });
    }
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
const logsStopped = { window: "30m", exclude: [] };

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
    // RTAP runbook: log aggregation (the store's web UI on 9428), 7 days kept in dev.
    store: {
      enabled: true,
      ...goBinaryImage("victorialogs", VERSIONS.victorialogs, "victoria-logs", "/vlogs"),
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
      storage: "2Gi",
      maxDiskUsage: "1600Mi",
      hostPort: 9428,
      retention: "7d",
      collector: {
        // Its state directory belongs to root: on Docker the collector runs as root (otelcol.ts).
        ...goBinaryImage("otelcol", VERSIONS.otelcol, "otelcol", "/var/lib/otelcol", 0),
        resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
      },
      alert: logAlert,
      logsStopped,
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
      image: UPSTREAM_IMAGES.victorialogs,
      resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
      storage: "50Gi",
      maxDiskUsage: "40Gi",
      retention: "30d",
      collector: {
        // The project's own distribution (toolchain/otelcol: only the components it configures),
        // its image built and pushed by .github/workflows/images.yml.
        image: `ghcr.io/ops-baseline/otelcol:${VERSIONS.otelcol}`,
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
      },
      alert: logAlert,
      logsStopped,
    },
  },
};
