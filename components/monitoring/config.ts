// The monitoring part of the stack file: Prometheus, Alertmanager, Grafana and the exporters.
// Receiver URLs and the Grafana admin password are names of entries in the stack's `secrets`.
import { z } from "zod";
import { buildSchema, duration, egress, pinnedImage, port, resourcesSchema, size } from "../../stacks/config/fields";

const componentCommon = {
  image: pinnedImage(),
  build: buildSchema.optional(),
  resources: resourcesSchema,
  hostPort: port().optional(),
};

const receiverSchema = z
  .strictObject({
    /** Plain URL: only for receivers inside the environment (e.g. a local webhook sink). */
    url: z.url().optional(),
    /** Name of the secret that holds the webhook URL (paging and ticket systems). */
    urlSecret: z.string().optional(),
  })
  .refine((r) => !(r.url && r.urlSecret), { message: "set url or urlSecret, not both" });
export type ReceiverConfig = z.output<typeof receiverSchema>;

const exporterSchema = z.strictObject({
  enabled: z.boolean(),
  image: pinnedImage(),
  build: buildSchema.optional(),
  resources: resourcesSchema,
});
export type ExporterConfig = z.output<typeof exporterSchema>;

export const monitoringConfigSchema = z.strictObject({
  enabled: z.boolean(),
  scrapeInterval: duration(),
  /**
   * How long a scrape may take before the target counts as down. A dead container or pod whose
   * address no longer answers is only noticed after it, so it is part of every alert's latency.
   */
  scrapeTimeout: duration(),
  evaluationInterval: duration(),
  prometheus: z.strictObject({
    ...componentCommon,
    retentionTime: duration(),
    retentionSize: size(),
    storage: size(),
  }),
  alertmanager: z.strictObject({
    ...componentCommon,
    storage: size(),
    groupWait: duration(),
    groupInterval: duration(),
    repeatInterval: duration(),
    receivers: z.strictObject({
      paging: receiverSchema,
      ticket: receiverSchema,
      heartbeat: receiverSchema,
    }),
    /**
     * Where the receivers live outside the environment (their URLs are secrets, so the policy
     * names address ranges and ports, not hosts).
     */
    receiverEgress: egress(),
  }),
  grafana: z.strictObject({
    enabled: z.boolean(),
    ...componentCommon,
    adminPasswordSecret: z.string(),
    storage: size(),
  }),
  /** Receives the metrics of scheduled jobs (backups, restore drills) for Prometheus. */
  pushgateway: z.strictObject({ ...componentCommon, storage: size() }),
  exporters: z.strictObject({
    node: exporterSchema,
    postgres: exporterSchema,
    redis: exporterSchema,
    blackbox: exporterSchema,
  }),
});
export type MonitoringConfig = z.output<typeof monitoringConfigSchema>;
