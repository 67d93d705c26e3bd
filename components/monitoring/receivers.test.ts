// Native receivers: the stack file's shapes, what is rejected (naming file and key), what
// alertmanager.yml says for each, and that no key, password or URL reaches a rendered file.
// amtool check-config and real deliveries: receivers.real.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { planEnvironment } from "../../stacks/plan";
import { loadStackConfig } from "../../stacks/config/load";
import type { StackConfig } from "../../stacks/config/schema";
import { MORE_RECEIVERS, NATIVE_RECEIVERS, prodWithReceivers } from "../../test/support/receivers";
import { loaderProblems, readStackFileText, stackFileInputFromText } from "../../test/support/stack-files";
import { networkPolicies } from "../targets/kubernetes/network";
import { RECEIVER_SECRET_DIR } from "./alertmanager";

function load(receivers: unknown, secrets?: string[]): StackConfig {
  return loadStackConfig(stackFileInputFromText("prod", prodWithReceivers(receivers, secrets)));
}

function problems(receivers: unknown, secrets?: string[]): string[] {
  return loaderProblems(stackFileInputFromText("prod", prodWithReceivers(receivers, secrets)));
}

test("existing url-only receivers keep working: type defaults to webhook", () => {
  const prod = loadStackConfig(stackFileInputFromText("prod", readStackFileText("prod")));
  assert.deepEqual(prod.monitoring.alertmanager.receivers.paging, { type: "webhook", urlSecret: "pagingWebhookUrl" });
  const dev = loadStackConfig(stackFileInputFromText("dev", readStackFileText("dev")));
  assert.deepEqual(dev.monitoring.alertmanager.receivers.ticket, { type: "webhook", url: "http://api:3000/alerts" });
});

test("each native type renders its Alertmanager integration, every secret as a *_file path", () => {
  const am = (receivers: unknown) =>
    parseYaml(planEnvironment(load(receivers)).monitoring!.alertmanagerConfig).receivers as any[];
  const [paging, ticket, heartbeat] = am(NATIVE_RECEIVERS);
  assert.deepEqual(paging.pagerduty_configs, [
    { routing_key_file: `${RECEIVER_SECRET_DIR}/pagerdutyRoutingKey`, send_resolved: true },
  ]);
  assert.deepEqual(ticket.slack_configs, [
    { api_url_file: `${RECEIVER_SECRET_DIR}/slackWebhookUrl`, channel: "#ops-alerts", send_resolved: true },
  ]);
  assert.equal(heartbeat.webhook_configs[0].url_file, `${RECEIVER_SECRET_DIR}/heartbeatWebhookUrl`);
  const [opsgenie, email] = am(MORE_RECEIVERS);
  assert.deepEqual(opsgenie.opsgenie_configs, [
    { api_key_file: `${RECEIVER_SECRET_DIR}/opsgenieApiKey`, send_resolved: true },
  ]);
  assert.deepEqual(email.email_configs, [
    {
      to: "oncall@example.com",
      from: "alertmanager@example.com",
      smarthost: "smtp.example.com:587",
      auth_username: "alertmanager",
      auth_password_file: `${RECEIVER_SECRET_DIR}/smtpPassword`,
      require_tls: true,
      send_resolved: true,
    },
  ]);
});

test("the secrets are files of their own; no rendered file holds a secret stand-in", () => {
  for (const receivers of [NATIVE_RECEIVERS, MORE_RECEIVERS]) {
    const plan = planEnvironment(load(receivers));
    const am = plan.workloads.find((w) => w.name === "alertmanager")!;
    const secretFiles = am.secretFiles.map((f) => [f.path, f.template]);
    const names = Object.values(receivers)
      .flatMap((r) => Object.entries(r).filter(([k]) => k.endsWith("Secret")))
      .map(([, v]) => v as string);
    assert.deepEqual(
      secretFiles,
      [...new Set(names)].sort().map((n) => [`${RECEIVER_SECRET_DIR}/${n}`, `\${secret:${n}}`]),
    );
    const rendered = [
      ...plan.workloads.flatMap((w) => [w, ...w.sidecars]).flatMap((s) => s.files),
      ...plan.jobs.flatMap((j) => j.files),
    ];
    for (const f of rendered) {
      assert.doesNotMatch(f.content, /test-secret:|stand-in|\$\{secret:/, `${f.path} holds a secret or placeholder`);
    }
  }
});

test("egress: receivers go out through receiverEgress, an e-mail relay's port added", () => {
  const egressOf = (receivers: unknown) =>
    planEnvironment(load(receivers)).workloads.find((w) => w.name === "alertmanager")!.egress;
  assert.deepEqual(egressOf(NATIVE_RECEIVERS)?.[0].ports, [443]);
  const withMail = egressOf(MORE_RECEIVERS)![0];
  assert.deepEqual(withMail.ports, [443, 587]);
  assert.ok(withMail.except.includes("10.0.0.0/8"), "still never the private ranges");
});

test("bad receivers: unknown type, missing fields, a bad channel or relay, a heartbeat that pages, an unset secret", () => {
  const at = "Pulumi.prod.yaml: ops-baseline:monitoring.alertmanager.receivers";
  assert.deepEqual(problems({ ...NATIVE_RECEIVERS, paging: { type: "victorops", apiKeySecret: "x" } }), [
    `${at}.paging.type: type must be "webhook", "pagerduty", "opsgenie", "slack", "email" or "local"`,
  ]);
  assert.deepEqual(problems({ ...NATIVE_RECEIVERS, paging: { type: "pagerduty" } }), [
    `${at}.paging.routingKeySecret: is required (string)`,
  ]);
  assert.deepEqual(problems({ ...NATIVE_RECEIVERS, paging: { type: "pagerduty", routingKey: "abc" } }).length, 2);
  assert.match(
    problems({ ...NATIVE_RECEIVERS, ticket: { ...NATIVE_RECEIVERS.ticket, channel: "ops alerts" } }).join("\n"),
    /receivers\.ticket\.channel: must be a channel like "#ops-alerts"/,
  );
  assert.match(
    problems({ ...MORE_RECEIVERS, ticket: { ...MORE_RECEIVERS.ticket, smarthost: "smtp.example.com" } }).join("\n"),
    /receivers\.ticket\.smarthost: must be host:port/,
  );
  assert.match(
    problems({ ...MORE_RECEIVERS, ticket: { ...MORE_RECEIVERS.ticket, to: "oncall" } }).join("\n"),
    /receivers\.ticket\.to: must be an e-mail address/,
  );
  assert.deepEqual(
    problems({
      ...NATIVE_RECEIVERS,
      heartbeat: { type: "slack", webhookUrlSecret: "slackWebhookUrl", channel: "#hb" },
    }),
    [
      `${at}.heartbeat.type: is "slack", but the heartbeat fires every minute by design; send it to a dead man's switch with type: webhook (urlSecret)`,
    ],
  );
  assert.deepEqual(problems(NATIVE_RECEIVERS, ["slackWebhookUrl"]), [
    `${at}.paging.routingKeySecret: names secret "pagerdutyRoutingKey", which is not set; set it with: pulumi config set --secret --path 'secrets.pagerdutyRoutingKey' <value> --stack prod`,
  ]);
});

test("Kubernetes: Alertmanager's NetworkPolicy lets it reach the receivers (HTTPS, and the SMTP relay's port) and nothing private", () => {
  const plan = planEnvironment(load(MORE_RECEIVERS));
  const ctx = { namespace: "ops-baseline", commonLabels: {} };
  const policy = networkPolicies(plan.workloads, plan.jobs, ctx).find((p) => p.metadata.name === "alertmanager")!;
  const external = (policy.spec.egress as any[]).filter((e) => e.to?.some((t: any) => t.ipBlock));
  assert.equal(external.length, 1, JSON.stringify(policy.spec.egress));
  assert.deepEqual(external[0].to[0].ipBlock.cidr, "0.0.0.0/0");
  assert.ok(external[0].to[0].ipBlock.except.includes("192.168.0.0/16"));
  assert.deepEqual(
    external[0].ports.map((p: any) => p.port),
    [443, 587],
  );
});
