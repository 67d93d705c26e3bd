// The log store with the real parts: VictoriaLogs and the project's OpenTelemetry Collector of
// the pinned versions (toolchain/observability.sh, toolchain/otelcol.sh) as processes on
// loopback, the real Prometheus evaluating the generated log alerts, and real containers on the
// Docker engine whose json-file logs the collector tails. Lines must come back from the store's
// LogsQL API by service, level and time; an error burst and a service gone quiet must fire their
// alerts; a store that is down must leave the records queued, then delivered; and the store's
// retention must remove old days.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { planEnvironment } from "../../stacks/plan";
import { exampleStacks, loadExample } from "../../test/support/examples";
import { freePort } from "../../test/support/kube-apiserver";
import {
  metric,
  poll,
  processes,
  promAlerts,
  query,
  startStore as startLogStore,
  stop,
  type Row,
} from "../../test/support/log-pipeline";
import { loadRepoStack, STACKS } from "../../test/support/stack-files";
import { pinnedTool, run, runOk } from "../../test/support/tools";
import { renderRuleFiles } from "../alerts/rules";
import type { AlertContext } from "../alerts/catalogue";
import { LOG_LINE_LABELS } from "../workloads/labels";
import { COLLECTOR_CONFIG, renderCollectorConfig } from "./otelcol";
import { logsQueryCurl, serviceErrorsQuery } from "./victorialogs";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-logs-"));
const containers: string[] = [];
const ENV = `logtest${process.pid}`;
const DOCKER_LOGS = "/var/lib/docker/containers";

const procs = processes(work);
const start = procs.start;
const startStore = (port: number, dataDir: string, retention = "7d") => startLogStore(procs, port, dataDir, retention);

after(async () => {
  for (const c of containers) run("docker", ["rm", "-f", c]);
  await procs.stopAll();
  fs.rmSync(work, { recursive: true, force: true });
});

for (const stack of STACKS) {
  test(`${stack}: the real collector accepts its rendered configuration (otelcol validate)`, () => {
    const otelcol = pinnedTool("otelcol");
    const plan = planEnvironment(loadRepoStack(stack));
    const collector = plan.workloads.find((w) => w.name === "otelcol");
    assert.ok(collector, `${stack} has a collector`);
    const file = path.join(work, `${stack}-otelcol.yaml`);
    fs.writeFileSync(file, collector.files.find((f) => f.path === COLLECTOR_CONFIG)!.content);
    runOk(otelcol, ["validate", `--config=${file}`]);
    // A component the distribution lacks is refused: validate is not a rubber stamp.
    const broken = path.join(work, `${stack}-otelcol-broken.yaml`);
    fs.writeFileSync(broken, fs.readFileSync(file, "utf8").replace("memory_limiter:", "k8sattributes:"));
    const refused = run(otelcol, ["validate", `--config=${broken}`]);
    assert.notEqual(refused.status, 0, "a configuration naming a missing component was accepted");
  });
}

test("every example's collector configuration is accepted by the real collector", () => {
  const otelcol = pinnedTool("otelcol");
  for (const example of exampleStacks()) {
    const collector = planEnvironment(loadExample(example)).workloads.find((w) => w.name === "otelcol");
    if (!collector) continue;
    const file = path.join(work, `${example.system}-${example.stack}-otelcol.yaml`);
    fs.writeFileSync(file, collector.files.find((f) => f.path === COLLECTOR_CONFIG)!.content);
    runOk(otelcol, ["validate", `--config=${file}`]);
  }
});

/** A container of this test's environment whose stdout the test writes to (docker exec). */
function logContainer(service: string): { name: string; write: (lines: string[]) => number } {
  const name = `ops-baseline-${ENV}-${service}`;
  run("docker", ["rm", "-f", name]);
  runOk("docker", [
    "run",
    "-d",
    "--name",
    name,
    "--label",
    `app.kubernetes.io/name=${service}`,
    "--label",
    `ops-baseline/environment=${ENV}`,
    "--log-driver",
    "json-file",
    "--log-opt",
    `labels=${LOG_LINE_LABELS.join(",")}`,
    "debian:bookworm-slim",
    "sleep",
    "infinity",
  ]);
  containers.push(name);
  return {
    name,
    write: (lines) => {
      const script = lines.map((l) => `printf '%s\\n' ${JSON.stringify(l)}`).join("; ");
      runOk("docker", ["exec", name, "sh", "-c", `{ ${script}; } > /proc/1/fd/1`]);
      return Date.now();
    },
  };
}

test("Docker, real: lines searchable by service, level and time; error burst and silence fire; a store outage loses nothing", async () => {
  const [storePort, telemetryPort, countsPort, healthPort, promPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const storeData = path.join(work, "store");
  let store = await startStore(storePort, storeData);
  const state = path.join(work, "collector-state");
  fs.mkdirSync(state);
  const configFile = path.join(work, "collector.yaml");
  fs.writeFileSync(
    configFile,
    renderCollectorConfig({
      environment: ENV,
      errorPattern: "(?i)(panic|fatal|out of memory)",
      storeUrl: `http://127.0.0.1:${storePort}`,
      source: { kind: "docker", containerLogDir: DOCKER_LOGS },
      stateDir: state,
      telemetryPort,
      countsPort,
      healthPort,
    }),
  );
  start(pinnedTool("otelcol"), [`--config=${configFile}`], "otelcol");
  await poll("collector healthy", 30, async () =>
    (await fetch(`http://127.0.0.1:${healthPort}/status`)).ok ? true : undefined,
  );

  // The real Prometheus with the generated log rules (windows of 60 s), scraping the collector.
  const service = "logsvc";
  const ctx: AlertContext = {
    serviceJobs: [service],
    infraJobs: ["otelcol", "otelcol-counts"],
    signals: {},
    memoryLimits: {},
    backups: [],
    drills: [],
    logs: { services: [service], errorWindowSeconds: 60, stoppedWindowSeconds: 60 },
  };
  const rules = renderRuleFiles(loadRepoStack("dev").alerts, ctx).find((f) => f.name === "logs.rules.yml");
  assert.ok(rules, "the catalogue renders a logs rule file");
  fs.writeFileSync(path.join(work, "logs.rules.yml"), rules.content);
  const job = (name: string, port: number) => ({
    job_name: name,
    static_configs: [{ targets: [`127.0.0.1:${port}`] }],
  });
  fs.writeFileSync(
    path.join(work, "prometheus.yml"),
    JSON.stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [path.join(work, "logs.rules.yml")],
      // The service's own scrape target is stood in by an endpoint that answers (the store's).
      scrape_configs: [job("otelcol", telemetryPort), job("otelcol-counts", countsPort), job(service, storePort)],
    }),
  );
  start(
    pinnedTool("prometheus"),
    [
      `--config.file=${path.join(work, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(work, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    "prometheus",
  );
  await poll("Prometheus ready", 30, async () =>
    (await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok ? true : undefined,
  );

  const c = logContainer(service);
  const nonce = `n${Date.now()}`;
  const written = c.write([
    `GET /healthz 200 ${nonce}`,
    JSON.stringify({ level: "warn", msg: `slow query ${nonce}`, ms: 1200 }),
    `level=error msg="connection refused" ${nonce}`,
  ]);
  const rows = await poll("the three lines in VictoriaLogs", 60, async () => {
    const r = await query(storePort, `service.name:=${service} AND deployment.environment.name:=${ENV} AND "${nonce}"`);
    return r.length === 3 ? r : undefined;
  });
  const delay = (Date.now() - written) / 1000;
  console.log(`write to searchable: ${delay.toFixed(1)} s (upper bound: polled every 0.5 s)`);
  const byText = (needle: string) => rows.find((r) => r._msg.includes(needle))!;
  assert.equal(byText("GET /healthz")._msg, `GET /healthz 200 ${nonce}`, "the newline is stripped");
  assert.equal(byText("slow query").level, "warn", "a JSON line's level is a field");
  assert.equal(byText("slow query").ms, "1200", "a JSON line's fields are fields");
  assert.equal(byText("connection refused").severity_text, "error", "a plain line's level is its severity");
  assert.equal(byText("GET /healthz")["log.iostream"], "stdout");
  const age = Date.now() - Date.parse(byText("GET /healthz")._time);
  assert.ok(age >= 0 && age < 60_000, `record time is the line's time (${age} ms old)`);
  // The level is searchable as a field.
  const errors = await query(storePort, `service.name:=${service} AND severity_text:=error AND "${nonce}"`);
  assert.equal(errors.length, 1);

  const firing = (name: string, labels: Record<string, string>) => async () =>
    (await promAlerts(promPort)).find(
      (a) =>
        a.labels.alertname === name &&
        a.state === "firing" &&
        Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );
  assert.equal(await firing("ServiceLogErrorPattern", { service_name: service })(), undefined, "no error line yet");
  const burst = c.write(Array.from({ length: 5 }, (_, i) => `panic: worker ${i} crashed ${nonce}`));
  await poll("ServiceLogErrorPattern firing", 60, firing("ServiceLogErrorPattern", { service_name: service }));
  console.log(`error burst to firing: ${((Date.now() - burst) / 1000).toFixed(1)} s`);
  // The runbook's query, run as the runbook prints it (curl against the store's HTTP API).
  const documented = logsQueryCurl(
    `http://127.0.0.1:${storePort}`,
    serviceErrorsQuery(service, ENV, "(?i)(panic|fatal|out of memory)"),
  );
  const found = runOk("sh", ["-c", documented])
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Row);
  assert.equal(found.length, 5, `the runbook's query lists the five panic lines: ${documented}`);
  assert.ok(found.every((r) => r._msg.startsWith("panic: worker")));
  assert.ok(found[0]._time >= found[4]._time, "newest first");

  // The service keeps answering its scrapes but writes nothing more: the window runs out.
  const lastLine = Date.now();
  assert.equal(await firing("ServiceLogsStopped", { job: service })(), undefined, "lines within the window");
  await poll("ServiceLogsStopped firing", 150, firing("ServiceLogsStopped", { job: service }));
  console.log(`last line to ServiceLogsStopped (window 60 s): ${((Date.now() - lastLine) / 1000).toFixed(1)} s`);
  // A line clears it.
  c.write([`back ${nonce}`]);
  await poll("ServiceLogsStopped resolved", 60, async () =>
    (await firing("ServiceLogsStopped", { job: service })()) ? undefined : true,
  );

  // The store goes down: records wait in the collector's queue, then arrive, none lost.
  await stop(store);
  const outage = `o${Date.now()}`;
  c.write(Array.from({ length: 20 }, (_, i) => `during the outage ${i} ${outage}`));
  await poll("records queued while the store is down", 60, async () => {
    const queued = await metric(telemetryPort, "otelcol_exporter_queue_size");
    return queued !== undefined && queued > 0 ? queued : undefined;
  });
  store = await startStore(storePort, storeData);
  const delivered = await poll("the outage's records delivered", 120, async () => {
    const r = await query(storePort, `"${outage}"`);
    return r.length === 20 ? r : undefined;
  });
  assert.equal(new Set(delivered.map((r) => r._msg)).size, 20, "each record once");
});

test("real VictoriaLogs: a shorter retention removes the days older than it", async () => {
  const port = await freePort();
  const data = path.join(work, "retention");
  let store = await startStore(port, data, "7d");
  const day = 24 * 3600 * 1000;
  const lines = [
    { _time: new Date(Date.now() - 3 * day).toISOString(), _msg: "three days old", service: "ret" },
    { _time: new Date().toISOString(), _msg: "fresh", service: "ret" },
  ];
  const res = await fetch(`http://127.0.0.1:${port}/insert/jsonline?_stream_fields=service`, {
    method: "POST",
    body: lines.map((l) => JSON.stringify(l)).join("\n"),
  });
  assert.equal(res.status, 200);
  await poll("both lines searchable", 30, async () => {
    const r = await query(port, "service:=ret _time:5d");
    return r.length === 2 ? r : undefined;
  });
  await stop(store);
  store = await startStore(port, data, "1d");
  const kept = await poll("the old day dropped", 60, async () => {
    const r = await query(port, "service:=ret _time:5d");
    return r.length === 1 ? r : undefined;
  });
  assert.equal(kept[0]._msg, "fresh");
  await stop(store);
});
