// A stand-in Pushgateway for the backup script tests: a Node process (its own, since the
// scripts run synchronously and would block this one) that records every push as a JSON line.
// What it does not do: serve metrics, expire or group them (the real one's behaviour is tested
// where it runs).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "./postgres";

export interface PushRecorder {
  url: string;
  pushes(): { url: string; body: string }[];
  clear(): void;
  stop(): void;
}

export async function startPushRecorder(work: string): Promise<PushRecorder> {
  const log = path.join(work, "pushes.jsonl");
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "-e",
      `require("http").createServer((q, s) => { let b = ""; q.on("data", (d) => (b += d)); q.on("end", () => {
         require("fs").appendFileSync(process.argv[1], JSON.stringify({ url: q.url, body: b }) + "\\n"); s.end(); }); })
       .listen(${port}, "127.0.0.1");`,
      log,
    ],
    { stdio: "ignore" },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    pushes: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { url: string; body: string })
        : [],
    clear: () => fs.rmSync(log, { force: true }),
    stop: () => child.kill(),
  };
}

/** The samples of a metrics textfile by metric name (one series per name, as the scripts write). */
export function metricsOf(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^([a-z_]+)\{[^}]*\} (\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
