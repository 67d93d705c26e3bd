// alertmanager.yml: critical pages, warning opens a ticket, info goes nowhere, and the Watchdog
// reaches its own heartbeat receiver. A critical alert mutes the warning of the same family on
// the same target. Receiver URLs held in secrets appear as `${secret:<name>}` placeholders; the
// target fills them, so the rendered file in the plan and the golden files hold no secret.
import { secondsToDuration } from "../workloads/units";
import { toYaml } from "../alerts/rules";
import type { MonitoringConfig, ReceiverConfig } from "./config";

export const RECEIVERS = ["paging", "ticket", "heartbeat", "null"] as const;

/** Which receiver each severity reaches; the routing tests check the rendered file against this. */
export const SEVERITY_ROUTES: Record<string, (typeof RECEIVERS)[number]> = {
  critical: "paging",
  warning: "ticket",
  info: "null",
};

function receiver(name: string, r: ReceiverConfig | undefined): Record<string, unknown> {
  const url = r?.urlSecret ? `\${secret:${r.urlSecret}}` : r?.url;
  return url ? { name, webhook_configs: [{ url, send_resolved: true, max_alerts: 50 }] } : { name };
}

export function alertmanagerUsesSecrets(m: MonitoringConfig): boolean {
  return Object.values(m.alertmanager.receivers).some((r) => r.urlSecret !== undefined);
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
