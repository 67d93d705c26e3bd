import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { test } from "node:test";
import { parseArgs, Standin, websocketAccept } from "./server";

test("arguments: ports, health paths and metrics; bad ones are refused with the flag named", () => {
  const o = parseArgs([
    "--http",
    "8080",
    "--tcp",
    "6553",
    "--health",
    "/healthz",
    "--counter",
    "rtap_errors_total=0.5",
    "--gauge",
    "rtap_buffer_utilization_ratio=0.3",
    "--histogram",
    "rtap_pipeline_latency_seconds=0.05@0.01,0.05,0.1",
  ]);
  assert.deepEqual(o.http, [8080]);
  assert.deepEqual(o.tcp, [6553]);
  assert.deepEqual(o.health, ["/healthz"]);
  assert.deepEqual(o.metrics[2], {
    kind: "histogram",
    name: "rtap_pipeline_latency_seconds",
    labels: {},
    value: 0.05,
    buckets: [0.01, 0.05, 0.1],
  });
  assert.deepEqual(parseArgs(["--http", "80"]).health, ["/health"], "/health by default");
  assert.throws(() => parseArgs([]), /--http: at least one/);
  assert.throws(() => parseArgs(["--http", "70000"]), /--http 70000: not a port/);
  assert.throws(() => parseArgs(["--http", "1", "--gauge", "bad-name=1"]), /not a Prometheus metric name/);
  assert.throws(() => parseArgs(["--http", "1", "--histogram", "h=1@0.5,0.1"]), /buckets must ascend/);
  assert.throws(() => parseArgs(["--http", "1", "--histogram", "h=1"]), /name=value@b1/);
  assert.throws(() => parseArgs(["--http", "1", "--gauge", "g=1", "--counter", "g=1"]), /declared twice/);
  assert.throws(() => parseArgs(["--htp", "1"]), /unknown argument --htp/);
  assert.throws(() => parseArgs(["--http", "1", "--counter", "c{status=500}=1"]), /not a label like key="value"/);
  assert.throws(
    () => parseArgs(["--http", "1", "--counter", "c=1", "--gauge", 'c{a="b"}=1']),
    /as counter and as gauge/,
  );
  assert.deepEqual(parseArgs(["--http", "1", "--counter", 'c{status="500",method="GET"}=1']).metrics[0].labels, {
    status: "500",
    method: "GET",
  });
});

test("serves health, its metric names and WebSocket upgrades; values move and can be set", async () => {
  const standin = new Standin({
    ...parseArgs([
      "--http",
      "1",
      "--health",
      "/health",
      "--webhook",
      "/webhook",
      "--counter",
      "webhook_errors_total=2",
      "--counter",
      'http_requests_total{status="200"}=3',
      "--counter",
      'http_requests_total{status="500"}=0',
      "--gauge",
      "rtap_buffer_utilization_ratio=0.3",
      "--histogram",
      "rtap_pipeline_latency_seconds=0.05@0.1,0.2",
    ]),
    http: [0],
  });
  await standin.start("127.0.0.1");
  try {
    const port = ((standin as any).servers[0] as net.Server).address() as AddressInfo;
    const base = `http://127.0.0.1:${port.port}`;
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/ready`)).status, 404, "only the declared health paths answer");
    assert.equal((await fetch(`${base}/webhook`)).status, 405, "a webhook path is POST only (RAVE: 405)");
    assert.equal((await fetch(`${base}/webhook`, { method: "POST", body: "{}" })).status, 200);
    standin.tick();
    standin.tick();
    let metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^webhook_errors_total 4$/m);
    assert.match(metrics, /^http_requests_total\{status="200"\} 6$/m);
    assert.match(metrics, /^http_requests_total\{status="500"\} 0$/m, "a labelled series is there before it grows");
    assert.match(metrics, /^rtap_buffer_utilization_ratio 0.3$/m);
    assert.match(metrics, /^rtap_pipeline_latency_seconds_bucket\{le="0.1"\} 2$/m);
    assert.match(metrics, /^process_resident_memory_bytes \d+$/m);
    assert.match(metrics, /^standin_webhook_requests_total\{path="\/webhook"\} 1$/m);
    const set = await fetch(`${base}/standin/set?metric=rtap_pipeline_latency_seconds&value=0.15`, { method: "POST" });
    assert.equal(set.status, 200);
    assert.equal((await fetch(`${base}/standin/set?metric=nope&value=1`, { method: "POST" })).status, 404);
    const errors = `/standin/set?metric=${encodeURIComponent('http_requests_total{status="500"}')}&value=5`;
    assert.equal((await fetch(`${base}${errors}`, { method: "POST" })).status, 200);
    standin.tick();
    metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^http_requests_total\{status="500"\} 5$/m);
    assert.match(metrics, /^rtap_pipeline_latency_seconds_bucket\{le="0.1"\} 2$/m);
    assert.match(metrics, /^rtap_pipeline_latency_seconds_bucket\{le="0.2"\} 3$/m);

    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port.port, "127.0.0.1", () =>
        socket.write(
          "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        ),
      );
      socket.once("data", (d) => {
        resolve(d.toString());
        socket.destroy();
      });
      socket.once("error", reject);
    });
    assert.match(reply, /^HTTP\/1.1 101 /);
    // RFC 6455's own example key and answer.
    assert.match(reply, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    assert.equal(websocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  } finally {
    await standin.stop();
  }
});
