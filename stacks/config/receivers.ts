// No silent drops: where alerts go. A stack whose profile is not dev routes critical alerts to a
// receiver that sends somewhere; a receiver left out is an error that says how to set one; a
// plain `url` is only for a service inside the stack (an outside URL is a secret).
import type { ConfigProblem } from "./problems";
import type { StackConfig } from "./schema";

const RECEIVER_PATH = /^monitoring\.alertmanager\.receivers\.(paging|ticket|heartbeat)$/;

const WHAT: Record<string, { alerts: string; secret: string }> = {
  paging: { alerts: "critical alerts (pages)", secret: "pagingWebhookUrl" },
  ticket: { alerts: "warning alerts (tickets)", secret: "ticketWebhookUrl" },
  heartbeat: { alerts: "the Watchdog heartbeat (the dead man's switch)", secret: "heartbeatWebhookUrl" },
};

/** The message for a receiver the file leaves out where the profile has no default, else undefined. */
export function missingReceiverMessage(path: string, file: string, stack: string, profile: string): string | undefined {
  const match = RECEIVER_PATH.exec(path);
  if (!match) return undefined;
  const { alerts, secret } = WHAT[match[1]];
  return (
    `is not set, so ${alerts} would reach no one; a stack whose profile is "${profile}" names where they go. ` +
    `E.g. a webhook whose URL is a secret: add \`${match[1]}: { urlSecret: ${secret} }\` under ` +
    `ops-baseline:monitoring.alertmanager.receivers in ${file} and run: ` +
    `pulumi config set --secret --path 'secrets.${secret}' <url> --stack ${stack} ` +
    `(or type pagerduty, opsgenie, slack, email: README "Receivers")`
  );
}

/** Ports a URL reaches: its own, else the scheme's. */
function urlPort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/**
 * The service a host names inside the stack: `api`, or on Kubernetes `api.<namespace>`,
 * `api.<namespace>.svc` and `api.<namespace>.svc.cluster.local`.
 */
function serviceOfHost(config: StackConfig, host: string): string | undefined {
  const [first, ...rest] = host.toLowerCase().split(".");
  if (!(first in config.services)) return undefined;
  if (rest.length === 0) return first;
  if (config.target.kind !== "kubernetes") return undefined;
  const suffix = rest.join(".");
  const ns = config.target.namespace;
  return [ns, `${ns}.svc`, `${ns}.svc.cluster.local`].includes(suffix) ? first : undefined;
}

export function receiverProblems(config: StackConfig, stack: string): ConfigProblem[] {
  if (!config.monitoring.enabled) return [];
  const problems: ConfigProblem[] = [];
  const receivers = config.monitoring.alertmanager.receivers;
  if (config.profile !== "dev" && receivers.paging.type === "local") {
    problems.push({
      path: "monitoring.alertmanager.receivers.paging",
      message:
        `is the local sink (type: local), which keeps critical alerts in Alertmanager and pages no one; a stack whose profile is "${config.profile}" must page someone: ` +
        `set paging: { urlSecret: pagingWebhookUrl } and run: pulumi config set --secret --path 'secrets.pagingWebhookUrl' <url> --stack ${stack} ` +
        `(or type pagerduty, opsgenie, slack, email: README "Receivers")`,
    });
  }
  const services = Object.keys(config.services).sort();
  for (const [name, r] of Object.entries(receivers)) {
    if (r.type !== "webhook" || r.url === undefined) continue;
    const at = `monitoring.alertmanager.receivers.${name}.url`;
    const url = new URL(r.url);
    const service = serviceOfHost(config, url.hostname);
    const secretFix =
      `a URL outside the stack is a secret: replace url with urlSecret: ${WHAT[name].secret} and run: ` +
      `pulumi config set --secret --path 'secrets.${WHAT[name].secret}' <url> --stack ${stack}`;
    if (service === undefined) {
      problems.push({
        path: at,
        message:
          `goes to ${url.hostname}, which is not a service of this stack (${services.join(", ") || "none declared"}); ` +
          `a plain url is only for a receiver inside the stack; ${secretFix}`,
      });
      continue;
    }
    const ports = config.services[service].ports.map((p) => p.port);
    if (!ports.includes(urlPort(url))) {
      problems.push({
        path: at,
        message: `reaches ${service} on port ${urlPort(url)}, which ${service} does not declare; expected one of: ${ports.join(", ") || "(no ports)"}`,
      });
    }
  }
  return problems;
}
