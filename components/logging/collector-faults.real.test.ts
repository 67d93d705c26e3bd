// The log alerts of the hop from the collector to the store, with the real parts: the project's
// OpenTelemetry Collector and VictoriaLogs of the pinned versions as processes on loopback, the
// real Prometheus evaluating the rules the catalogue renders (time constants shortened only
// through the stack file's own alert overrides). A store that is down must grow the collector's
// send queue and fire LogCollectorBacklog, which drains and resolves when the store is back; a
// store that refuses records (HTTP 400) must fire LogCollectorDroppingRecords, a healthy one not;
// a store on a volume with little free space must fire LogStoreDiskFilling.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { freePort } from "../../test/support/kube-apiserver";
import {
  firing,
  jsonFileLog,
  metric,
  poll,
  processes,
  query,
  startPrometheus,
  startStore,
  stop,
} from "../../test/support/log-pipeline";
import { loadRepoStack } from "../../test/support/stack-files";
import { pinnedTool, run } from "../../test/support/tools";
import type { AlertContext } from "../alerts/catalogue";
import type { AlertOverride } from "../alerts/config";
import { renderRuleFiles } from "../alerts/rules";
import { COLLECTOR_COUNTS_JOB, COLLECTOR_NAME, VICTORIALOGS_HOST } from "./names";
import { renderCollectorConfig } from "./otelcol";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-logfaults-"));
const procs = processes(work);
const mounts: string[] = [];
const ENV = `faults${process.pid}`;
const SERVICE = "faultsvc";

after(async () => {
  await procs.stopAll();
  for (const m of mounts) run("umount", [m]);
  fs.rmSync(work, { recursive: true, force: true });
});

/** The generated logs rules with the dev stack's alerts, these overrides added (stack-file syntax). */
function logRules(dir: string, overrides: Record<string, AlertOverride>): string {
  const alerts = loadRepoStack("dev").alerts;
  const ctx: AlertContext = {
    serviceJobs: [SERVICE],
    infraJobs: [COLLECTOR_NAME, COLLECTOR_COUNTS_JOB, VICTORIALOGS_HOST],
    signals: {},
    memoryLimits: {},
    backups: [],
    drills: [],
    logs: { services: [SERVICE], errorWindowSeconds: 60, stoppedWindowSeconds: 60 },
  };
  const rules = renderRuleFiles({ ...alerts, overrides: { ...alerts.overrides, ...overrides } }, ctx).find(
    (f) => f.name === "logs.rules.yml",
  );
  assert.ok(rules, "the catalogue renders a logs rule file");
  const file = path.join(dir, "logs.rules.yml");
  fs.writeFileSync(file, rules.content);
  return file;
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

test("real collector and store: a store that is down fires LogCollectorBacklog and drains; one that refuses records fires LogCollectorDroppingRecords", async () => {
  const [storePort, telemetryPort, countsPort, healthPort, promPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const dir = fs.mkdtempSync(path.join(work, "queue-"));
  const storeData = path.join(dir, "store");
  let store = await startStore(procs, storePort, storeData);
  const logDir = path.join(dir, "containers");
  const log = jsonFileLog(logDir, "c0ffee", SERVICE, ENV);
  log.write(["first line"]);
  const configFile = path.join(dir, "collector.yaml");
  fs.writeFileSync(
    configFile,
    renderCollectorConfig({
      environment: ENV,
      errorPattern: "(?i)(panic|fatal)",
      storeUrl: `http://127.0.0.1:${storePort}`,
      source: { kind: "docker", containerLogDir: logDir },
      stateDir: path.join(dir, "state"),
      telemetryPort,
      countsPort,
      healthPort,
      startAt: "beginning",
    }),
  );
  procs.start(pinnedTool("otelcol"), [`--config=${configFile}`], "otelcol");
  await poll("collector healthy", 30, async () =>
    (await fetch(`http://127.0.0.1:${healthPort}/status`)).ok ? true : undefined,
  );
  // The queue counts requests (one per batch of up to 1024 records, or per second), so the
  // backlog threshold is lowered to 1 % (50 of 5000) and its `for` to 5 s, both by override.
  const rules = logRules(dir, { LogCollectorBacklog: { for: 5, threshold: 1 } });
  await startPrometheus(procs, dir, promPort, rules, [
    [COLLECTOR_NAME, telemetryPort],
    [COLLECTOR_COUNTS_JOB, countsPort],
    [SERVICE, storePort],
  ]);

  // Healthy: lines arrive, neither alert fires over 20 s of evaluations.
  const healthy = `h${Date.now()}`;
  for (let i = 0; i < 10; i++) {
    log.write(Array.from({ length: 100 }, (_, j) => `healthy ${i}-${j} ${healthy}`));
    await new Promise((r) => setTimeout(r, 2000));
  }
  assert.equal((await query(storePort, `"${healthy}"`)).length, 1000, "healthy lines all searchable");
  assert.equal(await firing(promPort, "LogCollectorDroppingRecords")(), undefined, "healthy: not dropping");
  assert.equal(await firing(promPort, "LogCollectorBacklog")(), undefined, "healthy: no backlog");

  // The store goes down while lines keep coming: the send queue grows past 1 % and the alert fires.
  await stop(store);
  const down = Date.now();
  const outage = `o${Date.now()}`;
  let written = 0;
  const writer = setInterval(() => {
    log.write(Array.from({ length: 2000 }, (_, j) => `during the outage ${written + j} ${outage}`));
    written += 2000;
  }, 250);
  try {
    await poll("LogCollectorBacklog firing", 120, firing(promPort, "LogCollectorBacklog", { job: COLLECTOR_NAME }));
  } finally {
    clearInterval(writer);
  }
  const queued = await metric(telemetryPort, "otelcol_exporter_queue_size");
  console.log(
    `store down to LogCollectorBacklog firing (threshold 1 %, for 5 s): ${seconds(down)} s; queue ${queued} requests, ${written} lines written`,
  );
  assert.equal(await firing(promPort, "LogCollectorDroppingRecords")(), undefined, "queued, not dropped");

  // The store is back: the queue drains, every line arrives once, the alert resolves.
  store = await startStore(procs, storePort, storeData);
  const back = Date.now();
  await poll("queue drained", 180, async () =>
    (await metric(telemetryPort, "otelcol_exporter_queue_size")) === 0 ? true : undefined,
  );
  console.log(`store back to queue empty: ${seconds(back)} s`);
  await poll("LogCollectorBacklog resolved", 60, async () =>
    (await firing(promPort, "LogCollectorBacklog")()) ? undefined : true,
  );
  console.log(`store back to LogCollectorBacklog resolved: ${seconds(back)} s`);
  await poll("the outage's lines searchable", 60, async () => {
    const r = await query(storePort, `"${outage}" | count() n`);
    return Number(r[0]?.n) === written ? true : undefined;
  });

  // The store refuses records (HTTP 400, a permanent error): the collector gives up on them.
  await stop(store);
  const refusing = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(400, { "content-type": "text/plain" }).end("refused"));
  });
  await new Promise<void>((r) => refusing.listen(storePort, "127.0.0.1", r));
  try {
    const refused = log.write(Array.from({ length: 100 }, (_, j) => `refused ${j}`));
    await poll(
      "LogCollectorDroppingRecords firing",
      60,
      firing(promPort, "LogCollectorDroppingRecords", { job: COLLECTOR_NAME }),
    );
    console.log(`store answering 400 to LogCollectorDroppingRecords firing: ${seconds(refused)} s`);
    assert.ok(((await metric(telemetryPort, "otelcol_exporter_send_failed_log_records")) ?? 0) >= 100);
  } finally {
    await new Promise((r) => refusing.close(r));
  }
});

test("real VictoriaLogs on a small volume: LogStoreDiskFilling fires when little of it is free", async (t) => {
  const mount = path.join(work, "volume");
  fs.mkdirSync(mount);
  const mounted = run("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", mount]);
  if (mounted.status !== 0) return t.skip(`cannot mount a small volume (tmpfs): ${mounted.stderr.trim()}`);
  mounts.push(mount);
  const [storePort, promPort] = await Promise.all([freePort(), freePort()]);
  await startStore(procs, storePort, path.join(mount, "vlogs"));
  // LogStoreDiskFilling's `for` (10 min) shortened to 5 s by override; its threshold (10 %) as is.
  const rules = logRules(work, { LogStoreDiskFilling: { for: 5 } });
  await startPrometheus(procs, work, promPort, rules, [[VICTORIALOGS_HOST, storePort]]);
  await poll("the store's disk metrics scraped", 30, async () => {
    const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=vl_free_disk_space_bytes`);
    const body = (await r.json()) as { data: { result: unknown[] } };
    return body.data.result.length > 0 ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 10_000));
  assert.equal(await firing(promPort, "LogStoreDiskFilling")(), undefined, "an empty volume is not filling");
  // Other data takes the volume down to ~6 % free.
  fs.writeFileSync(path.join(mount, "filler"), Buffer.alloc(60 * 1024 ** 2));
  const filled = Date.now();
  await poll("LogStoreDiskFilling firing", 60, firing(promPort, "LogStoreDiskFilling", { job: VICTORIALOGS_HOST }));
  console.log(`volume filled to LogStoreDiskFilling firing (for 5 s): ${seconds(filled)} s`);
});
