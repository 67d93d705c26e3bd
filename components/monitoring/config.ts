// The monitoring part of the stack file: Prometheus, Alertmanager, Grafana and the exporters.
// Receiver keys and URLs and the Grafana admin password are names of entries in the stack's `secrets`.
import { z } from "zod";
import { goBinaryImage, UPSTREAM_IMAGES, VERSIONS } from "./versions";
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
 * Where alerts go, by `type` (stacks/config/defaults.ts sets `webhook` where the file leaves it
 * out, so a file with only `url` or `urlSecret` keeps working). Every key, password and URL outside the environment is the name
 * of a secret; Alertmanager reads each from a file of its own (`*_file`), never from its
 * configuration, so alertmanager.yml holds no secret.
 */
const webhookReceiverSchema = z
  .strictObject({
    type: z.literal("webhook"),
    /** Plain URL: only for receivers inside the stack (a service of its own; checked by the loader). */
    url: z.url().optional(),
    /** Name of the secret that holds the webhook URL (paging and ticket systems). */
    urlSecret: secretName().optional(),
  })
  .refine((r) => (r.url === undefined) !== (r.urlSecret === undefined), {
    message:
      "set urlSecret (the URL as a secret) or url (a service inside the stack), exactly one: a webhook without a URL drops every alert",
  });
/**
 * The dev profile's default: alerts stay in Alertmanager (its alert list, `/api/v2/alerts`,
 * `amtool alert query`) and are sent nowhere. Refused for paging outside the dev profile.
 */
const localReceiverSchema = z.strictObject({ type: z.literal("local") });
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
  [
    webhookReceiverSchema,
    pagerdutyReceiverSchema,
    opsgenieReceiverSchema,
    slackReceiverSchema,
    emailReceiverSchema,
    localReceiverSchema,
  ],
  { error: () => 'type must be "webhook", "pagerduty", "opsgenie", "slack", "email" or "local"' },
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
        if (r.heartbeat.type !== "webhook" && r.heartbeat.type !== "local") {
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

const exporterResources = { requests: { cpu: "20m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } };

/** An image built from one of Debian's Prometheus packages (images/debian-package). */
function debianPackageImage(image: string, pkg: string, dataDir?: string) {
  return {
    image,
    build: {
      context: "images/debian-package",
      dockerfile: "images/debian-package/Dockerfile",
      args: dataDir ? { PACKAGE: pkg, DATA_DIR: dataDir } : { PACKAGE: pkg },
    },
  };
}

function debianExporter(name: string, version: string) {
  return {
    enabled: true,
    ...debianPackageImage(`ops-baseline/${name}:${version}-bookworm`, `prometheus-${name}`),
    resources: exporterResources,
  };
}

function upstreamExporter(image: string) {
  return { enabled: true, image, resources: exporterResources };
}

/** The monitoring defaults of each profile. Merged under the stack file's `monitoring` before validation (stacks/config/defaults.ts). */
export const MONITORING_DEFAULTS = {
  dev: {
    enabled: true,
    // Worst case from a dead service to the page: 11 s until the fault is in the TSDB (a
    // stopped container leaves Docker's DNS, and Prometheus writes the staleness marker of a
    // dropped target 2.1 scrape intervals after its last scrape; a failing scrape would show
    // after 5 s + the 3 s timeout) + 5 s evaluation + 30 s `for` + 10 s group wait = 56 s,
    // inside the 60 s the runbooks ask for; measured on the Docker rung
    // (test/docker/dev-stack.real.test.ts). With a 10 s interval the dropped-target path alone
    // takes 21 s and the page 66 s (measured 63 s).
    scrapeInterval: "5s",
    scrapeTimeout: "3s",
    evaluationInterval: "5s",
    prometheus: {
      ...goBinaryImage("prometheus", VERSIONS.prometheus, "prometheus", "/prometheus"),
      // RAVE safe-mode envelope: Prometheus 256 MB.
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
      retentionTime: "7d",
      retentionSize: "1GiB",
      storage: "2Gi",
      hostPort: 9090,
    },
    alertmanager: {
      ...goBinaryImage("alertmanager", VERSIONS.alertmanager, "alertmanager", "/alertmanager"),
      resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
      storage: "256Mi",
      hostPort: 9093,
      groupWait: "10s",
      groupInterval: "1m",
      repeatInterval: "4h",
      // The local sink: alerts stay in Alertmanager's own list (http://127.0.0.1:9093), sent
      // nowhere. A receiver the file declares replaces it whole (stacks/config/defaults.ts).
      receivers: { paging: { type: "local" }, ticket: { type: "local" }, heartbeat: { type: "local" } },
      // Any public address on HTTPS; never the private ranges the cluster and its metadata
      // service live in (RFC 1918, link-local).
      receiverEgress: {
        cidrs: ["0.0.0.0/0"],
        except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
        ports: [443],
      },
    },
    pushgateway: {
      ...debianPackageImage("ops-baseline/pushgateway:1.4-bookworm", "prometheus-pushgateway", "/data"),
      resources: { requests: { cpu: "20m", memory: "16Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
      storage: "128Mi",
    },
    grafana: {
      enabled: false,
      image: UPSTREAM_IMAGES.grafana,
      // RAVE safe-mode envelope: Grafana 128 MB.
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
      adminPasswordSecret: "grafanaAdminPassword",
      storage: "512Mi",
      hostPort: 3001,
    },
    exporters: {
      node: {
        enabled: true,
        ...goBinaryImage("node-exporter", VERSIONS.nodeExporter, "node_exporter"),
        resources: exporterResources,
      },
      postgres: debianExporter("postgres-exporter", "0.11"),
      redis: debianExporter("redis-exporter", "1.45"),
      blackbox: debianExporter("blackbox-exporter", "0.23"),
      // A stand-in with prometheus-nats-exporter's metric names (toolchain/nats-exporter.sh):
      // the real exporter is neither on the Go module proxy nor in Debian.
      nats: {
        enabled: true,
        ...goBinaryImage("nats-varz-exporter", "0.1.0", "nats-varz-exporter"),
        resources: exporterResources,
      },
    },
  },
  prod: {
    enabled: true,
    // RAVE runbook: 30 s scrape and evaluation intervals.
    scrapeInterval: "30s",
    scrapeTimeout: "10s",
    evaluationInterval: "30s",
    prometheus: {
      image: UPSTREAM_IMAGES.prometheus,
      resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
      retentionTime: "30d",
      retentionSize: "45GiB",
      storage: "50Gi",
    },
    alertmanager: {
      image: UPSTREAM_IMAGES.alertmanager,
      resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
      storage: "1Gi",
      groupWait: "30s",
      groupInterval: "5m",
      repeatInterval: "4h",
      // No default receivers: a stack whose profile is not dev names where alerts go, or fails
      // to load (stacks/config/receivers.ts).
      // Any public address on HTTPS; never the private ranges the cluster and its metadata
      // service live in (RFC 1918, link-local).
      receiverEgress: {
        cidrs: ["0.0.0.0/0"],
        except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
        ports: [443],
      },
    },
    pushgateway: {
      image: "quay.io/prometheus/pushgateway:v1.9.0",
      resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
      storage: "1Gi",
    },
    grafana: {
      enabled: true,
      image: UPSTREAM_IMAGES.grafana,
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
      adminPasswordSecret: "grafanaAdminPassword",
      storage: "2Gi",
    },
    exporters: {
      node: upstreamExporter(UPSTREAM_IMAGES.nodeExporter),
      postgres: upstreamExporter("quay.io/prometheuscommunity/postgres-exporter:v0.15.0"),
      redis: upstreamExporter("docker.io/oliver006/redis_exporter:v1.62.0"),
      blackbox: upstreamExporter("quay.io/prometheus/blackbox-exporter:v0.25.0"),
      nats: upstreamExporter("docker.io/natsio/prometheus-nats-exporter:0.17.3"),
    },
  },
};
