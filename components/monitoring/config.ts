// The monitoring part of the stack file: Prometheus, Alertmanager, Grafana and the exporters.
// Receiver keys and URLs and the Grafana admin password are names of entries in the stack's `secrets`.
import { z } from "zod";
import type { AlertsConfig } from "../alerts/config";
import type { BackupConfig } from "../backup/config";
import type { EntrypointConfig } from "../entrypoints/config";
import type { JobsConfig } from "../jobs/config";
import type { LoggingConfig } from "../logging/config";
import type { DataStoreConfig, ServiceConfig } from "../services/config";
import type { TargetConfig } from "../targets/config";
import type { ProfileName } from "../workloads/context";
import { buildSchema, duration, egress, pinnedImage, port, resourcesSchema, size } from "../fields";

const componentCommon = {
  image: pinnedImage(),
  build: buildSchema.optional(),
  resources: resourcesSchema,
  hostPort: port().optional(),
};

/** Name of an entry in the stack's `secrets` (checked to be set by the loader). */
const secretName = () => z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, "must name a secret (letters, digits and _)");

/**
 * Where alerts go, by `type` (stacks/config/defaults.ts sets `webhook`, so a file with only `url`
 * or `urlSecret` keeps working). Every key, password and URL outside the environment is the name
 * of a secret; Alertmanager reads each from a file of its own (`*_file`), never from its
 * configuration, so alertmanager.yml holds no secret.
 */
const webhookReceiverSchema = z
  .strictObject({
    type: z.literal("webhook"),
    /** Plain URL: only for receivers inside the environment (e.g. a local webhook sink). */
    url: z.url().optional(),
    /** Name of the secret that holds the webhook URL (paging and ticket systems). */
    urlSecret: secretName().optional(),
  })
  .refine((r) => !(r.url && r.urlSecret), { message: "set url or urlSecret, not both" });
const pagerdutyReceiverSchema = z.strictObject({
  type: z.literal("pagerduty"),
  /** Events API v2 integration key of the PagerDuty service. */
  routingKeySecret: secretName(),
});
const opsgenieReceiverSchema = z.strictObject({
  type: z.literal("opsgenie"),
  /** API key of an Opsgenie API integration. */
  apiKeySecret: secretName(),
});
const slackReceiverSchema = z.strictObject({
  type: z.literal("slack"),
  /** Incoming-webhook URL of the Slack app. */
  webhookUrlSecret: secretName(),
  channel: z
    .string()
    .regex(/^[#@][a-z0-9][-a-z0-9._]*$/, 'must be a channel like "#ops-alerts" or a user like "@oncall"'),
});
const emailReceiverSchema = z.strictObject({
  type: z.literal("email"),
  to: z.email({ error: () => "must be an e-mail address" }),
  from: z.email({ error: () => "must be an e-mail address" }),
  /** SMTP relay as host:port (587 submission with STARTTLS, 465 TLS); reached through receiverEgress. */
  smarthost: z
    .string()
    .regex(/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$/, 'must be host:port, e.g. "smtp.example.com:587"'),
  authUsername: z.string().min(1).optional(),
  authPasswordSecret: secretName().optional(),
  requireTls: z.boolean().default(true),
});
const receiverSchema = z.discriminatedUnion(
  "type",
  [webhookReceiverSchema, pagerdutyReceiverSchema, opsgenieReceiverSchema, slackReceiverSchema, emailReceiverSchema],
  { error: () => 'type must be "webhook", "pagerduty", "opsgenie", "slack" or "email"' },
);
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
    receivers: z
      .strictObject({
        paging: receiverSchema,
        ticket: receiverSchema,
        /** The Watchdog, every minute, to a dead man's switch: only a webhook makes sense there. */
        heartbeat: receiverSchema,
      })
      .superRefine((r, ctx) => {
        if (r.heartbeat.type !== "webhook") {
          ctx.addIssue({
            code: "custom",
            path: ["heartbeat", "type"],
            message: `is "${r.heartbeat.type}", but the heartbeat fires every minute by design; send it to a dead man's switch with type: webhook (urlSecret)`,
          });
        }
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
    /** prometheus-nats-exporter (varz) beside every NATS data store. */
    nats: exporterSchema,
  }),
});
export type MonitoringConfig = z.output<typeof monitoringConfigSchema>;

/**
 * What the monitoring concern reads: its own part and the alerts, and every part of the stack it
 * watches (services, data stores, entry points, jobs, backups, the log store, the target's cluster).
 */
export interface MonitoringInput {
  environment: string;
  profile: ProfileName;
  target: TargetConfig;
  monitoring: MonitoringConfig;
  alerts: AlertsConfig;
  services: Record<string, ServiceConfig>;
  dataStores: Record<string, DataStoreConfig>;
  entrypoints: Record<string, EntrypointConfig>;
  jobs: JobsConfig;
  logging: Pick<LoggingConfig, "store" | "containerLogs">;
  backup: BackupConfig;
}
