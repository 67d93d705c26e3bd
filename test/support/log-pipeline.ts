// The real log pipeline's parts as processes on loopback, for the tests that drive them
// (components/logging/*.real.test.ts) and the log-pipeline bench: VictoriaLogs, the collector and
// Prometheus of the pinned versions, started in a work directory and stopped together.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pinnedTool } from "./tools";
import { VICTORIALOGS_QUERY_PATH } from "../../components/logging/victorialogs";
import { LOG_LINE_LABELS } from "../../components/workloads/labels";

export interface Processes {
  start(command: string, args: string[], name: string): ChildProcess;
  stopAll(): Promise<void>;
}

/** Processes whose output goes to `<work>/<name>.log`. */
export function processes(work: string): Processes {
  const children: ChildProcess[] = [];
  return {
    start(command, args, name) {
      const log = fs.openSync(path.join(work, `${name}.log`), "a");
      const child = spawn(command, args, { stdio: ["ignore", log, log] });
      children.push(child);
      return child;
    },
    stopAll: () => Promise.all(children.map(stop)).then(() => undefined),
  };
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export async function poll<T>(
  what: string,
  seconds: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what}: not within ${seconds} s${last ? ` (last error: ${String(last)})` : ""}`);
}

export async function startStore(
  procs: Processes,
  port: number,
  dataDir: string,
  retention = "7d",
  extra: string[] = [],
): Promise<ChildProcess> {
  const store = procs.start(
    pinnedTool("victoria-logs"),
    [
      `-storageDataPath=${dataDir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      `-retentionPeriod=${retention}`,
      "-futureRetention=1d",
      ...extra,
    ],
    `victorialogs-${port}`,
  );
  await poll("VictoriaLogs healthy", 30, async () =>
    (await fetch(`http://127.0.0.1:${port}/health`)).ok ? true : undefined,
  );
  return store;
}

export type Row = Record<string, string>;
export async function query(port: number, logsql: string): Promise<Row[]> {
  const res = await fetch(`http://127.0.0.1:${port}${VICTORIALOGS_QUERY_PATH}`, {
    method: "POST",
    body: new URLSearchParams({ query: logsql }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const text = await res.text();
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Row);
}

export type PromAlert = { labels: Record<string, string>; state: string };
export async function promAlerts(port: number): Promise<PromAlert[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`);
  return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
}

/** The first sample of `name` on a /metrics endpoint. */
export async function metric(port: number, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** A firing alert of that name whose labels include `labels`, if Prometheus has one. */
export function firing(promPort: number, name: string, labels: Record<string, string> = {}) {
  return async (): Promise<PromAlert | undefined> =>
    (await promAlerts(promPort)).find(
      (a) =>
        a.labels.alertname === name &&
        a.state === "firing" &&
        Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );
}

/** The real Prometheus, scraping every second and evaluating `ruleFile`. */
export async function startPrometheus(
  procs: Processes,
  work: string,
  port: number,
  ruleFile: string,
  jobs: Array<[string, number]>,
): Promise<ChildProcess> {
  fs.writeFileSync(
    path.join(work, "prometheus.yml"),
    JSON.stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [ruleFile],
      scrape_configs: jobs.map(([job, p]) => ({ job_name: job, static_configs: [{ targets: [`127.0.0.1:${p}`] }] })),
    }),
  );
  const prom = procs.start(
    pinnedTool("prometheus"),
    [
      `--config.file=${path.join(work, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(work, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    "prometheus",
  );
  await poll("Prometheus ready", 30, async () =>
    (await fetch(`http://127.0.0.1:${port}/-/ready`)).ok ? true : undefined,
  );
  return prom;
}

/**
 * A container log file in the Docker engine's json-file format, of one service of `environment`,
 * under `<dir>/<id>/<id>-json.log` as the collector's Docker source reads it (no engine needed).
 */
export function jsonFileLog(dir: string, id: string, service: string, environment: string) {
  fs.mkdirSync(path.join(dir, id), { recursive: true });
  const file = path.join(dir, id, `${id}-json.log`);
  const attrs = { [LOG_LINE_LABELS[0]]: service, [LOG_LINE_LABELS[1]]: environment };
  return {
    file,
    /** Appends the lines; returns the time they were written. */
    write(lines: string[]): number {
      const time = new Date().toISOString();
      fs.appendFileSync(
        file,
        lines.map((l) => JSON.stringify({ log: `${l}\n`, stream: "stdout", attrs, time }) + "\n").join(""),
      );
      return Date.now();
    },
  };
}
