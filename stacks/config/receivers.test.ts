// No silent drops: a stack whose profile is not dev pages someone, a receiver left out is an error
// that says how to set one, a plain url reaches only a service of the stack, and the dev profile's
// default is the local sink, which the preview names.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { receiverSummary } from "../../components/monitoring/alertmanager";
import { planEnvironment } from "../plan";
import { type ConfigEdit, editedStackInput, loaderProblems } from "../../test/support/stack-files";
import { loadStackConfig } from "./load";

const load = (stack: string, edit: ConfigEdit, name = stack) => loadStackConfig(editedStackInput(stack, edit, name));
const problemsOf = (stack: string, edit: ConfigEdit, name = stack) =>
  loaderProblems(editedStackInput(stack, edit, name));

const receivers = (c: Record<string, any>) => c["ops-baseline:monitoring"].alertmanager.receivers;
const at = "ops-baseline:monitoring.alertmanager.receivers";

test("a prod-profile file without receivers fails, naming the file, each key and the config set line", () => {
  const problems = problemsOf("prod", (c) => delete c["ops-baseline:monitoring"].alertmanager.receivers);
  assert.equal(problems.length, 3, problems.join("\n"));
  const [heartbeat, paging, ticket] = problems;
  assert.match(paging, new RegExp(`^Pulumi\\.prod\\.yaml: ${at}\\.paging: is not set, so critical alerts`));
  assert.match(paging, /receivers in Pulumi\.prod\.yaml/);
  assert.match(paging, /pulumi config set --secret --path 'secrets\.pagingWebhookUrl' <url> --stack prod/);
  assert.match(ticket, new RegExp(`${at}\\.ticket: is not set, so warning alerts`));
  assert.match(heartbeat, new RegExp(`${at}\\.heartbeat: is not set, so the Watchdog heartbeat`));
});

test("a staging stack on the prod profile fails the same way, its own stack name in the fix", () => {
  const problems = problemsOf(
    "prod",
    (c) => {
      c["ops-baseline:profile"] = "prod";
      delete receivers(c).paging;
    },
    "staging",
  );
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    /^Pulumi\.staging\.yaml: ops-baseline:monitoring\.alertmanager\.receivers\.paging: is not set/,
  );
  assert.match(problems[0], /--stack staging/);
});

test("outside the dev profile the local sink may not take the pages", () => {
  const problems = problemsOf("prod", (c) => (receivers(c).paging = { type: "local" }));
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], new RegExp(`${at}\\.paging: is the local sink \\(type: local\\)`));
  assert.match(problems[0], /must page someone/);
  // A ticket kept locally is the file's explicit choice, and allowed.
  const config = load("prod", (c) => (receivers(c).ticket = { type: "local" }));
  assert.deepEqual(config.monitoring.alertmanager.receivers.ticket, { type: "local" });
});

test("a webhook without a URL is refused: it would drop every alert", () => {
  const problems = problemsOf("prod", (c) => (receivers(c).ticket = { type: "webhook" }));
  assert.deepEqual(problems, [
    `Pulumi.prod.yaml: ${at}.ticket: set urlSecret (the URL as a secret) or url (a service inside the stack), exactly one: a webhook without a URL drops every alert`,
  ]);
});

test("a plain url to a host outside the stack is refused, with the urlSecret fix; the URL's path is not echoed", () => {
  const problems = problemsOf(
    "prod",
    (c) => (receivers(c).paging = { url: "https://hooks.example.com/T0/secret-path" }),
  );
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    new RegExp(`${at}\\.paging\\.url: goes to hooks\\.example\\.com, which is not a service of this stack \\(api\\)`),
  );
  assert.match(problems[0], /replace url with urlSecret: pagingWebhookUrl/);
  assert.doesNotMatch(problems[0], /secret-path/);
  // The same on the dev profile: the rule is about where the URL goes, not the profile.
  const dev = problemsOf("dev", (c) => (receivers(c).ticket = { url: "http://10.1.2.3:8080/alerts" }));
  assert.match(dev.join("\n"), /receivers\.ticket\.url: goes to 10\.1\.2\.3, which is not a service of this stack/);
});

test("a plain url to a service of the stack must name one of its ports; the namespace's DNS forms count as inside", () => {
  const wrongPort = problemsOf("dev", (c) => (receivers(c).ticket = { url: "http://api:9999/alerts" }));
  assert.deepEqual(wrongPort, [
    `Pulumi.dev.yaml: ${at}.ticket.url: reaches api on port 9999, which api does not declare; expected one of: 3000`,
  ]);
  const prod = load(
    "prod",
    (c) => (receivers(c).ticket = { url: "http://api.ops-baseline.svc.cluster.local:3000/alerts" }),
  );
  assert.equal(prod.monitoring.alertmanager.receivers.ticket.type, "webhook");
  const otherNs = problemsOf("prod", (c) => (receivers(c).ticket = { url: "http://api.elsewhere.svc:3000/alerts" }));
  assert.match(otherNs.join("\n"), /goes to api\.elsewhere\.svc, which is not a service of this stack/);
});

test("the dev default is the local sink: Alertmanager keeps the alerts, the preview lines say so", () => {
  const dev = load("dev", (c) => delete c["ops-baseline:monitoring"].alertmanager.receivers);
  const r = dev.monitoring.alertmanager.receivers;
  assert.deepEqual([r.paging, r.ticket, r.heartbeat], [{ type: "local" }, { type: "local" }, { type: "local" }]);
  const am = parseYaml(planEnvironment(dev).monitoring!.alertmanagerConfig);
  const paging = am.receivers.find((x: any) => x.name === "paging");
  assert.deepEqual(paging, { name: "paging" });
  const lines = receiverSummary(dev.monitoring);
  assert.equal(lines.length, 3);
  assert.match(
    lines[0],
    /^alerts: receiver paging \(critical alerts\): the local sink: kept in Alertmanager's alert list/,
  );
  // A receiver the file declares replaces the default whole (url merged over type local would be
  // neither); the ones it leaves out keep the local sink.
  const one = load(
    "dev",
    (c) => (c["ops-baseline:monitoring"].alertmanager.receivers = { paging: { url: "http://api:3000/alerts" } }),
  );
  const r1 = one.monitoring.alertmanager.receivers;
  assert.deepEqual([r1.paging, r1.ticket], [{ type: "webhook", url: "http://api:3000/alerts" }, { type: "local" }]);
});

test("the preview names each receiver by its secret's name, never its value", () => {
  const prod = load("prod", () => {});
  const lines = receiverSummary(prod.monitoring);
  assert.deepEqual(lines, [
    "alerts: receiver paging (critical alerts): a webhook, URL in secret pagingWebhookUrl",
    "alerts: receiver ticket (warning alerts): a webhook, URL in secret ticketWebhookUrl",
    "alerts: receiver heartbeat (the Watchdog heartbeat): a webhook, URL in secret heartbeatWebhookUrl",
  ]);
  assert.doesNotMatch(lines.join("\n"), /test-secret:/);
});
