// The logging part of the stack file.
import { z } from "zod";
import { size } from "../../stacks/config/fields";

export const loggingConfigSchema = z.strictObject({
  /** Cap on every container's stdout/stderr (Docker log driver options; kubelet on Kubernetes). */
  containerLogs: z.strictObject({
    driver: z.enum(["json-file", "local"]),
    maxSize: size(),
    maxFiles: z.number().int().min(1).max(100),
  }),
});
export type LoggingConfig = z.output<typeof loggingConfigSchema>;
