// Stack files with native Alertmanager receivers (PagerDuty, Slack, Opsgenie, e-mail, webhook),
// for the receiver tests under mocks and with the real Alertmanager and amtool.
import { parse as parseYaml, stringify } from "yaml";
import { readStackFileText } from "./stack-files";

/** Receivers of every native type, with the secrets they name. */
export const NATIVE_RECEIVERS = {
  paging: { type: "pagerduty", routingKeySecret: "pagerdutyRoutingKey" },
  ticket: { type: "slack", webhookUrlSecret: "slackWebhookUrl", channel: "#ops-alerts" },
  heartbeat: { urlSecret: "heartbeatWebhookUrl" },
};
export const MORE_RECEIVERS = {
  paging: { type: "opsgenie", apiKeySecret: "opsgenieApiKey" },
  ticket: {
    type: "email",
    to: "oncall@example.com",
    from: "alertmanager@example.com",
    smarthost: "smtp.example.com:587",
    authUsername: "alertmanager",
    authPasswordSecret: "smtpPassword",
  },
  heartbeat: { type: "webhook", urlSecret: "heartbeatWebhookUrl" },
};
export const NEW_SECRETS = [
  "pagerdutyRoutingKey",
  "slackWebhookUrl",
  "opsgenieApiKey",
  "smtpPassword",
  "heartbeatWebhookUrl",
];

/** A repository stack file with these receivers, the secrets they name set (encrypted stand-ins). */
export function prodWithReceivers(receivers: unknown, secrets: string[] = NEW_SECRETS, stack = "prod"): string {
  const doc = parseYaml(readStackFileText(stack));
  doc.config["ops-baseline:monitoring"].alertmanager.receivers = receivers;
  for (const s of secrets) doc.config["ops-baseline:secrets"][s] = { secure: `v1:stand-in-${s}` };
  return stringify(doc);
}
