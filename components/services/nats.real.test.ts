// NATS with JetStream on a real Docker engine: nats-server from Debian bookworm with the rendered
// configuration, its /healthz and /varz answering on the monitoring port, JetStream storing what a
// client publishes (raw NATS protocol over TCP, no client library), and the exporter turning /varz
// into the gnatsd_varz_* series. Every metric a NATS alert reads is asserted in that real output,
// so no alert can silently match nothing. A stopped server leaves the exporter serving its last
// values (as the upstream exporter does), and Prometheus with the blackbox exporter's /healthz
// probe fires NatsServerDown. The generated promtool suite of a stack with NATS then proves each
// NATS alert fires and stays silent as it should.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { renderPromtoolTests } from "../alerts/promtool-tests";
import { brokerStackInput, NATS_STORE } from "../../test/support/broker-stack";
import { docker } from "../../test/support/docker";
import { DockerSandbox, poll, sampleOf } from "../../test/support/docker-sandbox";
import { REPO_ROOT } from "../../test/support/stack-files";
import { pinnedTool, runOk } from "../../test/support/tools";

const config = loadStackConfig(brokerStackInput("dev"));
const plan = planEnvironment(config);
const workload = (name: string) => plan.workloads.find((w) => w.name === name)!;
const sandbox = new DockerSandbox("nats");
let nats: string;
let exporter: string;
let prometheus: string;

/** The gnatsd_varz_* metric names the rendered NATS alerts read. */
function alertMetrics(): string[] {
  const file = plan.monitoring!.ruleFiles.find((f) => f.name === "datastores.rules.yml")!;
  const rules = (
    parseYaml(file.content) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> }
  ).groups
    .flatMap((g) => g.rules)
    .filter((r) => r.alert?.startsWith("Nats"));
  assert.equal(rules.length, 6);
  assert.ok(rules.some((r) => r.alert === "NatsServerDown" && r.expr.includes(`job="${NATS_STORE}-healthz"`)));
  return [...new Set(rules.flatMap((r) => r.expr.match(/gnatsd_varz_[a-z_]+/g) ?? []))].sort();
}

/** Publishes to JetStream with the NATS text protocol: creates a file-backed stream, stores messages. */
function publishToJetStream(host: string, messages: number, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(4222, host);
    let received = "";
    const timer = setTimeout(() => reject(new Error(`no PONG from NATS; got: ${received}`)), 10000);
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      received += chunk.toString();
      // The second PONG answers the PING sent after the messages: all of them were processed.
      if ((received.match(/PONG/g) ?? []).length === 2) {
        clearTimeout(timer);
        socket.end();
        resolve(received);
      }
    });
    const stream = JSON.stringify({ name: "ORDERS", subjects: ["orders.>"], storage: "file" });
    const payload = "x".repeat(bytes);
    const lines = [
      'CONNECT {"verbose":false,"pedantic":false,"echo":false}',
      "SUB _INBOX.test 1",
      `PUB $JS.API.STREAM.CREATE.ORDERS _INBOX.test ${Buffer.byteLength(stream)}`,
      stream,
      "PING",
    ];
    socket.write(lines.map((l) => `${l}\r\n`).join(""));
    // Once the stream exists (its reply has come), store the messages.
    const poller = setInterval(() => {
      if (!received.includes("MSG _INBOX.test")) return;
      clearInterval(poller);
      const pubs = Array.from({ length: messages }, (_, i) => `PUB orders.${i} ${bytes}\r\n${payload}\r\n`).join("");
      socket.write(`${pubs}PING\r\n`);
    }, 100);
  });
}

before(async () => {
  // The stand-in exporter and Prometheus's image build context (staged from the pinned build).
  for (const [script, ...args] of [["toolchain/nats-exporter.sh"], ["toolchain/observability.sh", "prometheus"]]) {
    const built = spawnSync("bash", [path.join(REPO_ROOT, script), ...args], { encoding: "utf8" });
    assert.equal(built.status, 0, built.stderr);
  }
  sandbox.start();
  const names = [NATS_STORE, `${NATS_STORE}-exporter`, "blackbox-exporter", "prometheus"];
  for (const name of names) sandbox.build(workload(name).image);
  nats = sandbox.run(workload(NATS_STORE), config.secrets);
  await sandbox.waitHealthy(nats, 60);
  exporter = sandbox.run(workload(`${NATS_STORE}-exporter`), config.secrets);
  await sandbox.waitHealthy(exporter, 60);
  await sandbox.waitHealthy(sandbox.run(workload("blackbox-exporter"), config.secrets), 60);
  // The stack's own prometheus.yml and rules: the other jobs' targets do not resolve here.
  prometheus = sandbox.run(workload("prometheus"), config.secrets);
  await sandbox.waitHealthy(prometheus, 120);
});

/** Prometheus's instant query result, by the pairs of labels and value. */
async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const url = `http://${sandbox.ip(prometheus)}:9090/api/v1/query?query=${encodeURIComponent(expr)}`;
  const body = (await (await fetch(url)).json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return body.data.result;
}

/** The state of NatsServerDown in Prometheus ("pending", "firing"), undefined while inactive. */
async function natsServerDown(): Promise<string | undefined> {
  const body = (await (await fetch(`http://${sandbox.ip(prometheus)}:9090/api/v1/alerts`)).json()) as {
    data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
  };
  return body.data.alerts.find((a) => a.labels.alertname === "NatsServerDown" && a.labels.datastore === NATS_STORE)
    ?.state;
}
after(() => sandbox.teardown());

test("nats-server answers /healthz and runs JetStream with the configured limits", async () => {
  const ip = sandbox.ip(nats);
  const health = (await (await fetch(`http://${ip}:8222/healthz`)).json()) as { status: string };
  assert.deepEqual(health, { status: "ok" });
  const varz = (await (await fetch(`http://${ip}:8222/varz`)).json()) as {
    jetstream: { config: { max_storage: number; max_memory: number; store_dir: string } };
    max_connections: number;
  };
  assert.equal(varz.jetstream.config.max_storage, 512 * 1024 ** 2);
  assert.equal(varz.jetstream.config.max_memory, 64 * 1024 ** 2);
  assert.equal(varz.max_connections, 65536);
  assert.match(varz.jetstream.config.store_dir, /^\/data/);
});

test("the exporter exposes every metric the NATS alerts read, and JetStream's storage follows what is stored", async () => {
  const metricsUrl = `http://${sandbox.ip(exporter)}:7777/metrics`;
  const before = await (await fetch(metricsUrl)).text();
  const missing = alertMetrics().filter((m) => sampleOf(before, m) === undefined);
  assert.deepEqual(missing, [], "metrics the alerts read but the exporter does not expose");
  assert.equal(sampleOf(before, "gnatsd_varz_jetstream_config_max_storage"), 512 * 1024 ** 2);
  const reply = await publishToJetStream(sandbox.ip(nats), 50, 10000);
  assert.match(reply, /"config":\{"name":"ORDERS"/, "JetStream created the stream");
  const after = await poll("stored bytes in the exporter's output", 20, async () => {
    const text = await (await fetch(metricsUrl)).text();
    return (sampleOf(text, "gnatsd_varz_jetstream_stats_storage") ?? 0) >= 50 * 10000 ? text : undefined;
  });
  const used = sampleOf(after, "gnatsd_varz_jetstream_stats_storage")!;
  console.log(`# JetStream file store after 50 x 10 kB: ${used} bytes`);
  assert.ok(used < 512 * 1024 ** 2);
});

test("with the server up, Prometheus reads its /healthz probe as a success and NatsServerDown stays inactive", async () => {
  const probe = await poll("probe_success of the /healthz job", 60, async () => {
    const r = await query(`probe_success{job="${NATS_STORE}-healthz"}`);
    return r.length > 0 && (await query(`gnatsd_varz_connections{datastore="${NATS_STORE}"}`)).length > 0
      ? r
      : undefined;
  });
  assert.equal(probe[0].value[1], "1");
  assert.equal(probe[0].metric.datastore, NATS_STORE);
  assert.equal(probe[0].metric.instance, `http://${NATS_STORE}:8222/healthz`);
  // Two rule evaluations (5 s each in dev) with the probe up: nothing pending or firing.
  await new Promise((r) => setTimeout(r, 11000));
  assert.equal(await natsServerDown(), undefined);
});

test("with the server stopped the exporter serves its last varz values (as upstream), and NatsServerDown fires from the /healthz probe", async () => {
  const metricsUrl = `http://${sandbox.ip(exporter)}:7777/metrics`;
  const last = sampleOf(await (await fetch(metricsUrl)).text(), "gnatsd_varz_max_connections");
  assert.equal(last, 65536);
  const stopped = Date.now();
  docker(["stop", "-t", "5", nats]);
  const stopSeconds = (Date.now() - stopped) / 1000;
  // Every scrape from now on fails to read /varz: the series stay, with the last values.
  for (let i = 0; i < 3; i++) {
    const text = await (await fetch(metricsUrl)).text();
    assert.equal(sampleOf(text, "gnatsd_varz_max_connections"), last);
    assert.notEqual(sampleOf(text, "gnatsd_varz_connections"), undefined);
  }
  const logs = spawnSync("docker", ["logs", "--tail", "5", exporter], { encoding: "utf8" });
  assert.match(logs.stdout + logs.stderr, /serving the last values read/);
  await poll("probe_success 0 in Prometheus", 60, async () =>
    (await query(`probe_success{job="${NATS_STORE}-healthz"} == 0`)).length > 0 ? true : undefined,
  );
  const probeFailed = (Date.now() - stopped) / 1000;
  await poll("NatsServerDown firing", 180, async () => ((await natsServerDown()) === "firing" ? true : undefined));
  const firing = (Date.now() - stopped) / 1000;
  // Prometheus still has the varz series: an absent() of them would never have fired.
  assert.ok((await query(`gnatsd_varz_connections{datastore="${NATS_STORE}"}`)).length > 0);
  console.log(
    `# NATS stopped (docker stop took ${stopSeconds.toFixed(1)} s): probe_success 0 after ${probeFailed.toFixed(1)} s, NatsServerDown firing after ${firing.toFixed(1)} s (for: 1m)`,
  );
  assert.ok(firing >= 60, `fired after ${firing} s, before its for of 1m`);
});

test("promtool: the NATS rules load, and the generated suite proves each NATS alert fires and stays silent", () => {
  const promtool = pinnedTool("promtool");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-nats-rules-"));
  try {
    for (const f of plan.monitoring!.ruleFiles) fs.writeFileSync(path.join(dir, f.name), f.content);
    const files = plan.monitoring!.ruleFiles.map((f) => f.name);
    runOk(promtool, ["check", "rules", ...files.map((f) => path.join(dir, f))]);
    const suite = renderPromtoolTests(config.alerts, plan.monitoring!.context, files);
    // Fires past its level after `for`, not before `for` (where it has one), silent inside it:
    // 3 tests for each of the 5 alerts with a `for`, 2 for NatsSlowConsumers, and 2 more for
    // NatsServerDown with no probe series at all (fires, not before `for`).
    const natsTests = (suite.match(/^ {2}- name: "?Nats/gm) ?? []).length;
    assert.equal(natsTests, 19);
    fs.writeFileSync(path.join(dir, "tests.yml"), suite);
    assert.match(runOk(promtool, ["test", "rules", "tests.yml"], { cwd: dir }), /SUCCESS/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
