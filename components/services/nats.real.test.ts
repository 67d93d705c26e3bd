// NATS with JetStream on a real Docker engine: nats-server from Debian bookworm with the rendered
// configuration, its /healthz and /varz answering on the monitoring port, JetStream storing what a
// client publishes (raw NATS protocol over TCP, no client library), and the exporter turning /varz
// into the gnatsd_varz_* series. Every metric a NATS alert reads is asserted in that real output,
// so no alert can silently match nothing; a stopped server makes them vanish (NatsServerDown).
// The generated promtool suite of a stack with NATS then proves each NATS alert fires and stays
// silent as it should.
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
import { docker, DockerSandbox, poll, sampleOf } from "../../test/support/docker-sandbox";
import { REPO_ROOT } from "../../test/support/stack-files";
import { pinnedTool, runOk } from "../../test/support/tools";

const config = loadStackConfig(brokerStackInput("dev"));
const plan = planEnvironment(config);
const workload = (name: string) => plan.workloads.find((w) => w.name === name)!;
const sandbox = new DockerSandbox("nats");
let nats: string;
let exporter: string;

/** The gnatsd_varz_* metric names the rendered NATS alerts read. */
function alertMetrics(): string[] {
  const file = plan.monitoring!.ruleFiles.find((f) => f.name === "datastores.rules.yml")!;
  const rules = (
    parseYaml(file.content) as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> }
  ).groups
    .flatMap((g) => g.rules)
    .filter((r) => r.alert?.startsWith("Nats"));
  assert.equal(rules.length, 6);
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
  const built = spawnSync("bash", [path.join(REPO_ROOT, "toolchain/nats-exporter.sh")], { encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  sandbox.start();
  for (const name of [NATS_STORE, `${NATS_STORE}-exporter`]) sandbox.build(workload(name).image);
  nats = sandbox.run(workload(NATS_STORE), config.secrets);
  await sandbox.waitHealthy(nats, 60);
  exporter = sandbox.run(workload(`${NATS_STORE}-exporter`), config.secrets);
  await sandbox.waitHealthy(exporter, 60);
});
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

test("with the server stopped the varz series vanish, which is what NatsServerDown's absent() reads", async () => {
  docker(["stop", "-t", "5", nats]);
  const metricsUrl = `http://${sandbox.ip(exporter)}:7777/metrics`;
  const text = await poll("the varz series to vanish", 20, async () => {
    const t = await (await fetch(metricsUrl)).text();
    return sampleOf(t, "gnatsd_varz_connections") === undefined ? t : undefined;
  });
  assert.ok(!text.includes("gnatsd_varz_"));
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
    // 3 tests for each of the 5 alerts with a `for`, 2 for NatsSlowConsumers.
    const natsTests = (suite.match(/^ {2}- name: "?Nats/gm) ?? []).length;
    assert.equal(natsTests, 17);
    fs.writeFileSync(path.join(dir, "tests.yml"), suite);
    assert.match(runOk(promtool, ["test", "rules", "tests.yml"], { cwd: dir }), /SUCCESS/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
