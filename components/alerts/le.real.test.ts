// The latency SLO selects one bucket of a classic histogram by its `le` label. Prometheus 3
// normalises `le` on ingestion ("1" is stored as "1.0"), so the selector must use the stored
// form: proven against the pinned Prometheus scraping a histogram written the way client
// libraries write it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { poll } from "../../test/support/docker-sandbox";
import { freePort } from "../../test/support/postgres";
import { pinnedTool } from "../../test/support/tools";
import { promLe } from "./slo";

test("bucket bounds are written as Prometheus stores them", () => {
  assert.equal(promLe(1), "1.0");
  assert.equal(promLe(2), "2.0");
  assert.equal(promLe(0.2), "0.2");
  assert.equal(promLe(0.025), "0.025");
  assert.equal(promLe(0.00001), "1e-05");
  assert.equal(promLe(Infinity), "+Inf");
});

test("the SLO's bucket selector matches what the pinned Prometheus ingested", async () => {
  const prometheus = pinnedTool("prometheus");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-le-"));
  // A histogram in the text format client libraries expose (whole bounds without ".0").
  const exposition = [
    "# TYPE demo_seconds histogram",
    'demo_seconds_bucket{le="0.2"} 1',
    'demo_seconds_bucket{le="1"} 3',
    'demo_seconds_bucket{le="2"} 4',
    'demo_seconds_bucket{le="+Inf"} 5',
    "demo_seconds_sum 6",
    "demo_seconds_count 5",
    "",
  ].join("\n");
  const target = http.createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(exposition);
  });
  const targetPort = await freePort();
  await new Promise<void>((resolve) => target.listen(targetPort, "127.0.0.1", resolve));
  const port = await freePort();
  fs.writeFileSync(
    path.join(work, "prometheus.yml"),
    `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: demo\n    static_configs: [{ targets: ["127.0.0.1:${targetPort}"] }]\n`,
  );
  const proc = spawn(
    prometheus,
    [
      `--config.file=${path.join(work, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(work, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: "ignore" },
  );
  try {
    const query = async (q: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result;
    };
    await poll("the demo histogram in Prometheus", 60, async () => {
      try {
        return (await query("demo_seconds_count")).length > 0 ? true : undefined;
      } catch {
        return undefined;
      }
    });
    for (const [bound, expected] of [
      [0.2, "1"],
      [1, "3"],
      [2, "4"],
    ] as const) {
      const hit = await query(`demo_seconds_bucket{le="${promLe(bound)}"}`);
      assert.equal(hit.length, 1, `le="${promLe(bound)}" selects the bucket`);
      assert.equal(hit[0].value[1], expected);
    }
    // The form a hand-written selector would use matches nothing: the failure the SLO avoids.
    assert.equal((await query('demo_seconds_bucket{le="1"}')).length, 0);
  } finally {
    proc.kill("SIGTERM");
    target.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
});
