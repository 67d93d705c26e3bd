// The logging part of the stack file: caps on every container's stdout/stderr, and rotation of
// the log files that services write themselves.
import { z } from "zod";
import { cpu, size } from "../../stacks/config/fields";

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
    build: z
      .strictObject({ context: z.string(), dockerfile: z.string(), args: z.record(z.string(), z.string()).default({}) })
      .optional(),
    /** daily / weekly rotation, or by size only. */
    frequency: z.enum(["daily", "weekly", "size"]),
    /** Rotate as soon as a file exceeds this size (checked every `checkEvery` seconds). */
    maxSize: size(),
    rotate: z.number().int().min(1).max(366),
    compress: z.boolean(),
    /** Only for applications that cannot reopen their files: it can lose lines. */
    copytruncate: z.boolean(),
    checkEverySeconds: z.number().int().min(10),
    resources: z.strictObject({
      requests: z.strictObject({ cpu: cpu(), memory: size() }),
      limits: z.strictObject({ cpu: cpu(), memory: size() }),
    }),
  }),
});
export type LoggingConfig = z.output<typeof loggingConfigSchema>;
