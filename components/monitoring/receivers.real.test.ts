// Native receivers with the real tools of the pinned version (toolchain/observability.sh):
// amtool check-config accepts every shape the stack file can say (and refuses one missing its
// key), and the real Alertmanager delivers to each one, reading every key, URL and password
// from its own file, to stand-ins on loopback: PagerDuty's and Opsgenie's APIs and the Slack and
// webhook URLs (an HTTP server that records requests), and an SMTP relay (a minimal SMTP server
// that records AUTH, envelope and message). What is simulated: the SaaS endpoints themselves; the
// API URLs of PagerDuty and Opsgenie are pointed at the stand-in (the rendered file leaves them
// at Alertmanager's defaults), and the secrets' directory is a temporary one.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { freePort } from "../../test/support/kube-apiserver";
import { MORE_RECEIVERS, NATIVE_RECEIVERS, prodWithReceivers } from "../../test/support/receivers";
import { stackFileInputFromText } from "../../test/support/stack-files";
import { pinnedTool, run } from "../../test/support/tools";
import { RECEIVER_SECRET_DIR } from "./alertmanager";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-receivers-"));
const children: ChildProcess[] = [];
const servers: net.Server[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const s of servers) s.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** alertmanager.yml of prod with these receivers (group wait 1 s, so the test is quick). */
function renderedConfig(receivers: unknown, edit: (c: Record<string, any>) => void = () => {}): string {
  const doc = parseYaml(prodWithReceivers(receivers));
  doc.config["ops-baseline:monitoring"].alertmanager.groupWait = "1s";
  edit(doc.config);
  const config = loadStackConfig(stackFileInputFromText("prod", stringify(doc)));
  return planEnvironment(config).monitoring!.alertmanagerConfig;
}

function amtoolCheck(content: string, name: string) {
  const file = path.join(work, name);
  fs.writeFileSync(file, content);
  return run(pinnedTool("amtool"), ["check-config", file]);
}

test("amtool check-config accepts every receiver shape, and refuses a PagerDuty receiver without its key", () => {
  for (const [i, receivers] of [NATIVE_RECEIVERS, MORE_RECEIVERS].entries()) {
    const r = amtoolCheck(renderedConfig(receivers), `shapes-${i}.yml`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS[\s\S]*4 receivers/);
  }
  const withoutKey = renderedConfig(NATIVE_RECEIVERS).replace(/ *routing_key_file: .*\n/, "");
  const refused = amtoolCheck(withoutKey, "no-key.yml");
  assert.notEqual(refused.status, 0, "amtool must refuse a PagerDuty receiver without a routing key");
  assert.match(refused.stdout + refused.stderr, /routing key/i);
});

interface Recorded {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

async function httpStandIn(): Promise<{ url: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", headers: req.headers, body: body ? JSON.parse(body) : undefined });
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success"}');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests };
}

interface Mail {
  auth: string;
  from: string;
  to: string[];
  data: string;
}

/** Just enough SMTP for Alertmanager: EHLO with AUTH PLAIN, MAIL, RCPT, DATA, QUIT. */
async function smtpStandIn(): Promise<{ port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = net.createServer((sock) => {
    let buf = "";
    let mail: Mail = { auth: "", from: "", to: [], data: "" };
    let inData = false;
    let awaitingAuth = false;
    const reply = (line: string) => sock.write(`${line}\r\n`);
    const plain = (b64: string) => (mail.auth = Buffer.from(b64, "base64").toString("utf8").split("\0").join("|"));
    reply("220 stand-in ESMTP");
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            mails.push(mail);
            mail = { auth: mail.auth, from: "", to: [], data: "" };
            reply("250 2.0.0 queued");
          } else mail.data += `${line}\n`;
          continue;
        }
        if (awaitingAuth) {
          awaitingAuth = false;
          plain(line);
          reply("235 2.7.0 authenticated");
          continue;
        }
        const verb = line.split(" ")[0].toUpperCase();
        if (verb === "EHLO" || verb === "HELO") sock.write("250-stand-in\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n");
        else if (verb === "AUTH") {
          const initial = line.split(" ")[2];
          if (initial) {
            plain(initial);
            reply("235 2.7.0 authenticated");
          } else {
            awaitingAuth = true;
            reply("334 ");
          }
        } else if (verb === "MAIL") {
          mail.from = line;
          reply("250 2.1.0 ok");
        } else if (verb === "RCPT") {
          mail.to.push(line);
          reply("250 2.1.5 ok");
        } else if (verb === "DATA") {
          inData = true;
          reply("354 end with .");
        } else if (verb === "QUIT") {
          reply("221 bye");
          sock.end();
        } else reply("250 ok");
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as net.AddressInfo).port, mails };
}

/** Starts the real Alertmanager on a config whose secret files live in `secretsDir`. */
async function startAlertmanager(name: string, config: string, secretsDir: string): Promise<string> {
  const port = await freePort();
  const file = path.join(work, `${name}.yml`);
  fs.writeFileSync(file, config.split(`${RECEIVER_SECRET_DIR}/`).join(`${secretsDir}/`));
  const log = fs.openSync(path.join(work, `${name}.log`), "w");
  children.push(
    spawn(
      pinnedTool("alertmanager"),
      [
        `--config.file=${file}`,
        `--storage.path=${path.join(work, `${name}-data`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // One instance, no gossip (which would hold notifications until the cluster settles).
        "--cluster.listen-address=",
      ],
      { stdio: ["ignore", log, log] },
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  await until(`${name} ready`, 30_000, async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, name);
  return url;
}

async function until(what: string, timeoutMs: number, probe: () => Promise<unknown> | unknown, log?: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = log
    ? fs
        .readFileSync(path.join(work, `${log}.log`), "utf8")
        .split("\n")
        .slice(-20)
        .join("\n")
    : "";
  throw new Error(`${what}: not within ${timeoutMs / 1000} s\n${tail}`);
}

async function fire(amUrl: string, labels: Record<string, string>) {
  const res = await fetch(`${amUrl}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ labels, annotations: { summary: `test ${labels.alertname}` } }]),
  });
  assert.equal(res.status, 200, await res.text());
}

/** Secret values with characters that would break YAML if they were pasted into the config. */
function writeSecrets(dir: string, values: Record<string, string>) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, value] of Object.entries(values)) fs.writeFileSync(path.join(dir, name), value);
}

test("the real Alertmanager pages PagerDuty, tickets to Slack and beats to a webhook, each secret from its file; a rotated key is used without a reload", async () => {
  const standIn = await httpStandIn();
  const secrets = path.join(work, "secrets-a");
  writeSecrets(secrets, {
    pagerdutyRoutingKey: 'pd-key: "one" #1',
    slackWebhookUrl: `${standIn.url}/slack/T000/B000/XXXX`,
    heartbeatWebhookUrl: `${standIn.url}/heartbeat/secret-token`,
  });
  const config = parseYaml(renderedConfig(NATIVE_RECEIVERS));
  // Only the API endpoint moves to the stand-in (Alertmanager's default is PagerDuty's own).
  config.receivers.find((r: any) => r.name === "paging").pagerduty_configs[0].url = `${standIn.url}/pagerduty`;
  const am = await startAlertmanager("am-a", stringify(config), secrets);

  await fire(am, { alertname: "ServiceDown", severity: "critical", job: "api" });
  // Another job: a critical alert mutes the warnings of its own target (inhibit_rules).
  await fire(am, { alertname: "ErrorRateWarning", severity: "warning", job: "worker" });
  await fire(am, { alertname: "Watchdog", severity: "info" });
  const at = (prefix: string) => standIn.requests.filter((r) => r.path.startsWith(prefix));
  await until(
    "three deliveries",
    30_000,
    () => ["/pagerduty", "/slack", "/heartbeat"].every((p) => at(p).length > 0),
    "am-a",
  );

  const page = at("/pagerduty")[0].body;
  assert.equal(page.routing_key, 'pd-key: "one" #1', "the routing key, read from its file, unescaped");
  assert.equal(page.event_action, "trigger");
  assert.equal(at("/slack")[0].path, "/slack/T000/B000/XXXX", "the Slack webhook URL from its file");
  assert.equal(at("/slack")[0].body.channel, "#ops-alerts");
  assert.equal(at("/heartbeat")[0].path, "/heartbeat/secret-token");
  assert.equal(at("/heartbeat")[0].body.alerts[0].labels.alertname, "Watchdog");

  // Rotation: the file changes (as a Kubernetes Secret volume or an upload would), no reload.
  fs.writeFileSync(path.join(secrets, "pagerdutyRoutingKey"), "pd-key-rotated");
  await fire(am, { alertname: "DataStoreDown", severity: "critical", datastore: "postgres" });
  await until("a page with the rotated key", 30_000, () =>
    at("/pagerduty").some((r) => r.body.routing_key === "pd-key-rotated"),
  );
  assert.ok(!JSON.stringify(fs.readFileSync(path.join(work, "am-a.yml"), "utf8")).includes("pd-key"));
});

test("the real Alertmanager pages Opsgenie with its API key and mails a ticket through an SMTP relay with its password", async () => {
  const standIn = await httpStandIn();
  const smtp = await smtpStandIn();
  const secrets = path.join(work, "secrets-b");
  writeSecrets(secrets, {
    opsgenieApiKey: "og-key: 'two' #2",
    smtpPassword: 'p@ss: w#rd "q"',
    heartbeatWebhookUrl: `${standIn.url}/heartbeat/other-token`,
  });
  const rendered = renderedConfig(MORE_RECEIVERS, (c) => {
    Object.assign(c["ops-baseline:monitoring"].alertmanager.receivers.ticket, {
      smarthost: `127.0.0.1:${smtp.port}`,
      requireTls: false,
    });
  });
  const config = parseYaml(rendered);
  config.receivers.find((r: any) => r.name === "paging").opsgenie_configs[0].api_url = `${standIn.url}/opsgenie/`;
  const am = await startAlertmanager("am-b", stringify(config), secrets);

  await fire(am, { alertname: "ServiceDown", severity: "critical", job: "api" });
  // Another job: a critical alert mutes the warnings of its own target (inhibit_rules).
  await fire(am, { alertname: "ErrorRateWarning", severity: "warning", job: "worker" });
  const og = () => standIn.requests.filter((r) => r.path.startsWith("/opsgenie"));
  await until("Opsgenie and the mail", 30_000, () => og().length > 0 && smtp.mails.length > 0, "am-b");

  assert.equal(og()[0].headers.authorization, "GenieKey og-key: 'two' #2", "the API key, read from its file");
  assert.match(og()[0].body.message, /ServiceDown/);
  const mail = smtp.mails[0];
  assert.equal(mail.auth, '|alertmanager|p@ss: w#rd "q"', "AUTH PLAIN with the password from its file");
  assert.match(mail.from, /alertmanager@example\.com/);
  assert.match(mail.to.join(), /oncall@example\.com/);
  assert.match(mail.data, /ErrorRateWarning/);
});
