// The log pipeline's figures, with the real collector and VictoriaLogs on loopback: the
// collector's throughput on one core (taskset -c 0 where available) reading a json-file log that
// a writer fills as fast as it can, through to the store; and the delay from a line written to
// it being searchable in the store (median and max over 20 lines, polled every 50 ms). Figures
// are printed, never asserted.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderCollectorConfig } from "../components/logging/otelcol";
import { freePort } from "../test/support/kube-apiserver";
import { jsonFileLog, metric, poll, processes, query, startStore } from "../test/support/log-pipeline";
import { pinnedTool, run } from "../test/support/tools";

const LINES = 300_000;
const CHUNK = 5_000;

export async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-logbench-"));
  const procs = processes(work);
  try {
    const [storePort, telemetryPort, countsPort, healthPort] = await Promise.all(
      Array.from({ length: 4 }, () => freePort()),
    );
    await startStore(procs, storePort, path.join(work, "store"));
    const logDir = path.join(work, "containers");
    const log = jsonFileLog(logDir, "bench0", "benchsvc", "bench");
    const config = path.join(work, "collector.yaml");
    fs.writeFileSync(
      config,
      renderCollectorConfig({
        environment: "bench",
        errorPattern: "(?i)(panic|fatal)",
        storeUrl: `http://127.0.0.1:${storePort}`,
        source: { kind: "docker", containerLogDir: logDir },
        stateDir: path.join(work, "state"),
        telemetryPort,
        countsPort,
        healthPort,
        startAt: "beginning",
      }),
    );
    const pinned = run("taskset", ["-c", "0", "true"]).status === 0;
    const otelcol = pinnedTool("otelcol");
    if (pinned) procs.start("taskset", ["-c", "0", otelcol, `--config=${config}`], "otelcol");
    else procs.start(otelcol, [`--config=${config}`], "otelcol");
    await poll("collector healthy", 30, async () =>
      (await fetch(`http://127.0.0.1:${healthPort}/status`)).ok ? true : undefined,
    );

    // Throughput: the writer appends as fast as it can; the clock stops when the store has them all.
    const pad = "x".repeat(60);
    const started = Date.now();
    for (let i = 0; i < LINES; i += CHUNK) {
      log.write(Array.from({ length: CHUNK }, (_, j) => `GET /items/${i + j} 200 ${pad}`));
      await new Promise((r) => setImmediate(r));
    }
    const writtenMs = Date.now() - started;
    await poll(
      "all lines sent to the store",
      90,
      async () =>
        ((await metric(telemetryPort, "otelcol_exporter_sent_log_records")) ?? 0) >= LINES ? true : undefined,
      100,
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `log pipeline: ${LINES} lines (json-file, ~100 bytes each) written in ${(writtenMs / 1000).toFixed(1)} s, ` +
        `collected and sent to VictoriaLogs in ${seconds.toFixed(1)} s: ${Math.round(LINES / seconds)} lines/s ` +
        `(collector ${pinned ? "pinned to core 0" : "not pinned: taskset unavailable"})`,
    );

    // Delay from written to searchable, one line at a time.
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const nonce = `lat${Date.now()}x${i}`;
      const at = log.write([`latency probe ${nonce}`]);
      await poll(
        "probe line searchable",
        30,
        async () => ((await query(storePort, `"${nonce}"`)).length ? true : undefined),
        50,
      );
      delays.push(Date.now() - at);
    }
    delays.sort((a, b) => a - b);
    const median = (delays[9] + delays[10]) / 2;
    console.log(
      `log pipeline: written to searchable over ${delays.length} lines: median ${(median / 1000).toFixed(2)} s, max ${(delays[delays.length - 1] / 1000).toFixed(2)} s (polled every 50 ms)`,
    );
  } finally {
    await procs.stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
