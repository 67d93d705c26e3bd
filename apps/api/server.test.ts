import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { test } from "node:test";
import { createApi, optionsFromEnv, type ApiOptions } from "./server";

async function start(overrides: Partial<ApiOptions>) {
  const server = createApi({ ...optionsFromEnv({}), random: () => 0.5, ...overrides });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A fake dependency that answers every connection with fixed bytes. */
async function fakeServer(reply: string) {
  const server = net.createServer((s) => s.once("data", () => s.end(reply)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test("health, metrics and request counters", async () => {
  const api = await start({});
  try {
    assert.equal((await fetch(`${api.base}/health`)).status, 200);
    assert.equal((await fetch(`${api.base}/api/work`)).status, 200);
    assert.equal((await fetch(`${api.base}/nope`)).status, 404);
    const metrics = await (await fetch(`${api.base}/metrics`)).text();
    assert.match(metrics, /^http_requests_total\{method="GET",route="\/health",status="200"\} 1$/m);
    assert.match(metrics, /^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    assert.match(metrics, /^http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/api\/work"\} 1$/m);
    assert.match(metrics, /^# TYPE http_request_duration_seconds histogram$/m);
    assert.match(metrics, /^process_resident_memory_bytes \d+$/m);
  } finally {
    await api.close();
  }
});

test("fault injection is off by default and turns errors and latency on when set", async () => {
  assert.equal(optionsFromEnv({}).errorRate, 0);
  assert.equal(optionsFromEnv({}).latencyMs, 0);
  assert.throws(() => optionsFromEnv({ FAULT_ERROR_RATE: "2" }), /must be from 0 to 1/);
  const api = await start({ errorRate: 0.6, latencyMs: 50, random: () => 0.5 });
  try {
    const started = Date.now();
    const res = await fetch(`${api.base}/api/work`);
    assert.equal(res.status, 500);
    assert.ok(Date.now() - started >= 45, "latency was injected");
    assert.equal((await fetch(`${api.base}/health`)).status, 200, "health checks are never faulted");
    const metrics = await (await fetch(`${api.base}/metrics`)).text();
    assert.match(metrics, /^http_request_errors_total\{route="\/api\/work"\} 1$/m);
  } finally {
    await api.close();
  }
});

test("ready reflects PostgreSQL and Redis", async () => {
  const pg = await fakeServer("N");
  const redis = await fakeServer("+OK\r\n+PONG\r\n");
  const api = await start({
    databaseHost: "127.0.0.1",
    databasePort: pg.port,
    redisHost: "127.0.0.1",
    redisPort: redis.port,
    redisPassword: "pw",
  });
  try {
    const ok = await fetch(`${api.base}/ready`);
    assert.equal(ok.status, 200, await ok.clone().text());
    await pg.close();
    const down = await fetch(`${api.base}/ready`);
    assert.equal(down.status, 503);
    const body = (await down.json()) as { checks: Record<string, string> };
    assert.match(body.checks.postgres, /ECONNREFUSED/);
    assert.equal(body.checks.redis, "ok");
  } finally {
    await api.close();
    await redis.close();
  }
});

test("the alert webhook sink counts notifications and rejects bad payloads", async () => {
  const api = await start({});
  try {
    const body = {
      status: "firing",
      alerts: [{ status: "firing", labels: { alertname: "ServiceDown", severity: "critical" } }],
    };
    const ok = await fetch(`${api.base}/alerts`, { method: "POST", body: JSON.stringify(body) });
    assert.equal(ok.status, 200);
    const bad = await fetch(`${api.base}/alerts`, { method: "POST", body: "not json" });
    assert.equal(bad.status, 400);
    assert.equal((await fetch(`${api.base}/alerts`)).status, 405);
    const metrics = await (await fetch(`${api.base}/metrics`)).text();
    assert.match(metrics, /^alerts_received_total\{severity="critical",status="firing"\} 1$/m);
    assert.match(metrics, /^webhook_errors_total\{\} 1$|^webhook_errors_total 1$/m);
    assert.match(
      metrics,
      /^queue_utilization_ratio\{queue="in_flight"\} 0\.01$/m,
      "the metrics request itself is in flight",
    );
  } finally {
    await api.close();
  }
});
