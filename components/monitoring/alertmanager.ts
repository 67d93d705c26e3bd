// alertmanager.yml: critical pages, warning opens a ticket, info goes nowhere, and the Watchdog
// reaches its own heartbeat receiver. A critical alert mutes the warning of the same family on
// the same target. Receivers are webhooks, PagerDuty, Opsgenie, Slack or e-mail; every key, URL
// and password they need is a secret that Alertmanager reads from a file of its own
// (`url_file`, `routing_key_file`, `api_key_file`, `api_url_file`, `auth_password_file`, read
// at each notification), so alertmanager.yml holds no secret and a value needs no escaping.
import type { MonitoringInput } from "./config";
import { httpProbe, type Workload } from "../workloads/model";
import { secondsToDuration } from "../workloads/units";
import { toYaml } from "../alerts/rules";
import type { MonitoringConfig, ReceiverConfig } from "./config";
import { monitoringWorkload } from "./workload";

export const RECEIVERS = ["paging", "ticket", "heartbeat", "null"] as const;

/** Which receiver each severity reaches; the routing tests check the rendered file against this. */
export const SEVERITY_ROUTES: Record<string, (typeof RECEIVERS)[number]> = {
  critical: "paging",
  warning: "ticket",
  info: "null",
};

/** Where the receivers' secrets are mounted, one file per secret (outside the config directory). */
export const RECEIVER_SECRET_DIR = "/etc/alertmanager-secrets";

const secretFile = (secret: string) => `${RECEIVER_SECRET_DIR}/${secret}`;

/** The secrets a receiver reads, in a stable order. */
export function receiverSecrets(r: ReceiverConfig): string[] {
  switch (r.type) {
    case "webhook":
      return r.urlSecret ? [r.urlSecret] : [];
    case "pagerduty":
      return [r.routingKeySecret];
    case "opsgenie":
      return [r.apiKeySecret];
    case "slack":
      return [r.webhookUrlSecret];
    case "email":
      return r.authPasswordSecret ? [r.authPasswordSecret] : [];
    case "local":
      return [];
  }
}

/** A receiver that sends somewhere (the local sink keeps alerts in Alertmanager). */
export function receiverSends(r: ReceiverConfig): boolean {
  return r.type !== "local";
}

/** Which severities reach each receiver, for the preview and the documents. */
const RECEIVER_ALERTS: Record<"paging" | "ticket" | "heartbeat", string> = {
  paging: "critical alerts",
  ticket: "warning alerts",
  heartbeat: "the Watchdog heartbeat",
};

/** One line per receiver saying where its alerts go (no secret value, only secret names). */
export function receiverSummary(m: MonitoringConfig): string[] {
  return (["paging", "ticket", "heartbeat"] as const).map((name) => {
    const r = m.alertmanager.receivers[name];
    const to = ((): string => {
      switch (r.type) {
        case "local":
          return "the local sink: kept in Alertmanager's alert list (its UI, /api/v2/alerts, amtool alert query), sent nowhere";
        case "webhook":
          return r.urlSecret ? `a webhook, URL in secret ${r.urlSecret}` : `a webhook inside the stack, ${r.url}`;
        case "pagerduty":
          return `PagerDuty, routing key in secret ${r.routingKeySecret}`;
        case "opsgenie":
          return `Opsgenie, API key in secret ${r.apiKeySecret}`;
        case "slack":
          return `Slack ${r.channel}, webhook URL in secret ${r.webhookUrlSecret}`;
        case "email":
          return `e-mail to ${r.to} through ${r.smarthost}`;
      }
    })();
    return `alerts: receiver ${name} (${RECEIVER_ALERTS[name]}): ${to}`;
  });
}

/** Ports a receiver reaches outside the environment besides receiverEgress' (an SMTP relay's). */
export function receiverPorts(r: ReceiverConfig): number[] {
  return r.type === "email" ? [Number(r.smarthost.slice(r.smarthost.lastIndexOf(":") + 1))] : [];
}

/** receiverEgress, plus the SMTP relays' ports of e-mail receivers. */
export function receiverEgress(m: MonitoringConfig): MonitoringConfig["alertmanager"]["receiverEgress"] {
  const egress = m.alertmanager.receiverEgress;
  const extra = Object.values(m.alertmanager.receivers).flatMap(receiverPorts);
  return { ...egress, ports: [...new Set([...egress.ports, ...extra])].sort((a, b) => a - b) };
}

function receiver(name: string, r: ReceiverConfig): Record<string, unknown> {
  switch (r.type) {
    case "webhook": {
      const url = r.urlSecret ? { url_file: secretFile(r.urlSecret) } : { url: r.url };
      return { name, webhook_configs: [{ ...url, send_resolved: true, max_alerts: 50 }] };
    }
    case "local":
      // Alertmanager keeps the alert in its list; a receiver without integrations sends nothing.
      return { name };
    case "pagerduty":
      return { name, pagerduty_configs: [{ routing_key_file: secretFile(r.routingKeySecret), send_resolved: true }] };
    case "opsgenie":
      return { name, opsgenie_configs: [{ api_key_file: secretFile(r.apiKeySecret), send_resolved: true }] };
    case "slack":
      return {
        name,
        slack_configs: [{ api_url_file: secretFile(r.webhookUrlSecret), channel: r.channel, send_resolved: true }],
      };
    case "email":
      return {
        name,
        email_configs: [
          {
            to: r.to,
            from: r.from,
            smarthost: r.smarthost,
            ...(r.authUsername ? { auth_username: r.authUsername } : {}),
            ...(r.authPasswordSecret ? { auth_password_file: secretFile(r.authPasswordSecret) } : {}),
            require_tls: r.requireTls,
            send_resolved: true,
          },
        ],
      };
  }
}

/** One file per secret the receivers read: path and the template the target fills. */
export function receiverSecretFiles(m: MonitoringConfig): Array<{ path: string; template: string; mode: number }> {
  const names = [...new Set(Object.values(m.alertmanager.receivers).flatMap(receiverSecrets))].sort();
  return names.map((n) => ({ path: secretFile(n), template: `\${secret:${n}}`, mode: 0o444 }));
}

export function renderAlertmanagerConfig(m: MonitoringConfig): string {
  const a = m.alertmanager;
  return toYaml({
    global: { resolve_timeout: "5m" },
    route: {
      receiver: "ticket",
      group_by: ["alertname", "job", "datastore"],
      group_wait: secondsToDuration(a.groupWait),
      group_interval: secondsToDuration(a.groupInterval),
      repeat_interval: secondsToDuration(a.repeatInterval),
      routes: [
        // The heartbeat is re-sent every minute so the receiver can page when it stops coming.
        {
          receiver: "heartbeat",
          matchers: ['alertname="Watchdog"'],
          group_wait: "0s",
          group_interval: "1m",
          repeat_interval: "1m",
        },
        ...Object.entries(SEVERITY_ROUTES).map(([severity, to]) => ({
          receiver: to,
          matchers: [`severity="${severity}"`],
        })),
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["family", "job", "instance", "datastore", "mountpoint"],
      },
    ],
    receivers: [
      receiver("paging", a.receivers.paging),
      receiver("ticket", a.receivers.ticket),
      receiver("heartbeat", a.receivers.heartbeat),
      { name: "null" },
    ],
  });
}

/**
 * The Alertmanager workload, with its rendered configuration. `services` are the stack's services:
 * webhook receivers inside the environment (e.g. a local sink in dev) are among them.
 */
export function alertmanagerWorkload(
  config: MonitoringInput,
  services: Workload[],
): { workload: Workload; config: string } {
  const m = config.monitoring;
  const amConfig = renderAlertmanagerConfig(m);
  const workload = monitoringWorkload(config, "alertmanager", m.alertmanager, {
    ports: [{ name: "web", containerPort: 9093, protocol: "tcp", hostPort: m.alertmanager.hostPort, external: false }],
    args: [
      "--config.file=/etc/alertmanager/alertmanager.yml",
      "--storage.path=/alertmanager",
      "--web.listen-address=:9093",
    ],
    files: [{ path: "/etc/alertmanager/alertmanager.yml", mode: 0o444, content: amConfig }],
    secretFiles: receiverSecretFiles(m),
    volumes: [
      {
        name: "data",
        mountPath: "/alertmanager",
        sizeBytes: m.alertmanager.storage,
        persistent: true,
        readOnly: false,
      },
    ],
    health: {
      liveness: httpProbe("/-/healthy", "web", 30),
      readiness: httpProbe("/-/ready", "web", 10),
    },
    metrics: [{ port: "web", path: "/metrics", job: "alertmanager" }],
    reload: { url: "http://127.0.0.1:9093/-/reload", dirs: ["/etc/alertmanager"] },
    // url_file, routing_key_file, ...: read at each notification, so a rotated key needs no restart.
    rereads: [RECEIVER_SECRET_DIR],
    // Webhook receivers inside the environment (e.g. a local sink in dev).
    connectsTo: services.map((s) => s.name).sort(),
    // Receivers outside it (paging, ticket and heartbeat services): their URLs are secrets, so
    // the policy allows the declared address ranges and ports.
    egress: Object.values(m.alertmanager.receivers).some(receiverSends)
      ? [{ name: "receivers", ...receiverEgress(m) }]
      : [],
  });
  return { workload, config: amConfig };
}
