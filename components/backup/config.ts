// The backup part of the stack file.
import { z } from "zod";

export const backupConfigSchema = z.strictObject({}).default({});
export type BackupConfig = z.output<typeof backupConfigSchema>;
