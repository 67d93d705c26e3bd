// The reference API of the default stacks, modelled on the C0Di3 runbook's core service:
// /health (liveness), /ready (PostgreSQL and Redis reachable), /metrics (Prometheus), and a
// fault switch (FAULT_ERROR_RATE, FAULT_LATENCY_MS) that is off unless the stack enables it.
// Only Node's standard library, so the image needs nothing but Debian's nodejs.
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { Counter, Gauge, Histogram } from "./metrics";

export interface ApiOptions {
  port: number;
  databaseHost?: string;
  databasePort: number;
  redisHost?: string;
  redisPort: number;
  redisPassword?: string;
  errorRate: number;
  latencyMs: number;
  logDir?: string;
  /** Concurrency budget that queue_utilization_ratio is measured against. */
  maxInFlight: number;
  /** Source of randomness for fault injection (tests pass a fixed one). */
  random: () => number;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv): ApiOptions {
  const num = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`${name}=${raw} is not a number`);
    return value;
  };
  const errorRate = num("FAULT_ERROR_RATE", 0);
  if (errorRate < 0 || errorRate > 1) throw new Error(`FAULT_ERROR_RATE=${errorRate} must be from 0 to 1`);
  return {
    port: num("PORT", 3000),
    databaseHost: env.DATABASE_HOST || undefined,
    databasePort: num("DATABASE_PORT", 5432),
    redisHost: env.REDIS_HOST || undefined,
    redisPort: num("REDIS_PORT", 6379),
    redisPassword: env.REDIS_PASSWORD || undefined,
    errorRate,
    latencyMs: num("FAULT_LATENCY_MS", 0),
    logDir: env.LOG_DIR || undefined,
    maxInFlight: num("MAX_IN_FLIGHT", 100),
    random: Math.random,
  };
}

/** PostgreSQL answers an SSLRequest with one byte, 'S' or 'N': proof that it is up and speaking. */
export function checkPostgres(host: string, port: number, timeoutMs = 2000): Promise<void> {
  return probeSocket(host, port, timeoutMs, Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]), (data) =>
    data.length >= 1 && (data[0] === 0x53 || data[0] === 0x4e) ? "ok" : "more",
  );
}

/** Redis answers PING with +PONG (after AUTH when a password is set). */
export function checkRedis(host: string, port: number, password?: string, timeoutMs = 2000): Promise<void> {
  const auth = password ? `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n` : "";
  return probeSocket(host, port, timeoutMs, Buffer.from(`${auth}*1\r\n$4\r\nPING\r\n`), (data) => {
    const text = data.toString();
    if (text.includes("+PONG")) return "ok";
    if (text.startsWith("-")) return `redis said ${text.split("\r\n")[0]}`;
    return "more";
  });
}

function probeSocket(
  host: string,
  port: number,
  timeoutMs: number,
  request: Buffer,
  judge: (data: Buffer) => "ok" | "more" | string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`${host}:${port} did not answer within ${timeoutMs} ms`)));
    socket.on("error", (e) => finish(new Error(`${host}:${port}: ${e.message}`)));
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      const verdict = judge(received);
      if (verdict === "ok") finish();
      else if (verdict !== "more") finish(new Error(`${host}:${port}: ${verdict}`));
    });
  });
}

export function createApi(options: ApiOptions): http.Server {
  const requests = new Counter("http_requests_total", "HTTP requests by method, route and status.");
  const errors = new Counter("http_request_errors_total", "HTTP requests that ended in a 5xx, by route.");
  const duration = new Histogram("http_request_duration_seconds", "HTTP request duration in seconds.");
  const alertsReceived = new Counter(
    "alerts_received_total",
    "Alertmanager notifications received, by status and severity.",
  );
  const webhookErrors = new Counter("webhook_errors_total", "Webhook deliveries that could not be read.", true);
  // In-flight requests against a concurrency budget: the queue the RTAP runbook watches.
  let inFlight = 0;
  const started = Date.now() / 1000;
  const gauges = [
    new Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage().rss),
    new Gauge("process_cpu_seconds_total", "User and system CPU time in seconds.", () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    }),
    new Gauge("process_start_time_seconds", "Start time of the process in seconds since the epoch.", () => started),
    new Gauge("nodejs_heap_size_used_bytes", "V8 heap used in bytes.", () => process.memoryUsage().heapUsed),
    new Gauge("nodejs_heap_size_total_bytes", "V8 heap total in bytes.", () => process.memoryUsage().heapTotal),
  ];
  const queue = {
    render: () =>
      [
        "# HELP queue_utilization_ratio Share of the in-flight request budget in use.",
        "# TYPE queue_utilization_ratio gauge",
        `queue_utilization_ratio{queue="in_flight"} ${inFlight / options.maxInFlight}`,
      ].join("\n"),
  };
  // The access log is reopened when its file was moved away (logrotate without copytruncate),
  // checked at most once a second, or on SIGHUP.
  const logPath = options.logDir ? path.join(options.logDir, "access.log") : undefined;
  let log = logPath ? fs.createWriteStream(logPath, { flags: "a" }) : undefined;
  let checkedAt = 0;
  const reopen = () => {
    if (!logPath) return;
    log?.end();
    log = fs.createWriteStream(logPath, { flags: "a" });
  };
  const writeLog = (line: string) => {
    if (!logPath || !log) return;
    const now = Date.now();
    if (now - checkedAt >= 1000) {
      checkedAt = now;
      if (!fs.existsSync(logPath)) reopen();
    }
    log.write(line);
  };
  process.on("SIGHUP", reopen);

  async function readiness(): Promise<Record<string, string>> {
    const checks: Record<string, string> = {};
    const run = async (name: string, check: () => Promise<void>) => {
      try {
        await check();
        checks[name] = "ok";
      } catch (e) {
        checks[name] = (e as Error).message;
      }
    };
    await Promise.all([
      options.databaseHost
        ? run("postgres", () => checkPostgres(options.databaseHost!, options.databasePort))
        : undefined,
      options.redisHost
        ? run("redis", () => checkRedis(options.redisHost!, options.redisPort, options.redisPassword))
        : undefined,
    ]);
    return checks;
  }

  const routes: Record<string, (res: http.ServerResponse) => Promise<number>> = {
    "/health": async (res) => send(res, 200, { status: "ok" }),
    "/ready": async (res) => {
      const checks = await readiness();
      const ok = Object.values(checks).every((v) => v === "ok");
      return send(res, ok ? 200 : 503, { status: ok ? "ready" : "not ready", checks });
    },
    "/metrics": async (res) => {
      const body =
        [requests, errors, duration, alertsReceived, webhookErrors, queue, ...gauges]
          .map((m) => m.render())
          .join("\n") + "\n";
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(body);
      return 200;
    },
    "/api/work": async (res) => send(res, 200, { result: "done" }),
  };

  /** Alertmanager webhook sink: a receiver that works locally, counted and logged. */
  async function receiveAlerts(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    if (req.method !== "POST") return send(res, 405, { error: "POST only" });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const payload = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        status?: string;
        alerts?: Array<{ status?: string; labels?: Record<string, string> }>;
      };
      if (!Array.isArray(payload.alerts)) throw new Error("no alerts array");
      for (const alert of payload.alerts) {
        alertsReceived.inc({ status: alert.status ?? "unknown", severity: alert.labels?.severity ?? "none" });
        console.log(
          `alert ${alert.status ?? "?"} ${alert.labels?.alertname ?? "?"} severity=${alert.labels?.severity ?? "none"}`,
        );
      }
      return send(res, 200, { received: payload.alerts.length });
    } catch (e) {
      webhookErrors.inc({});
      return send(res, 400, { error: (e as Error).message });
    }
  }

  return http.createServer((req, res) => {
    const startedAt = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://localhost");
    const handler =
      url.pathname === "/alerts"
        ? () => receiveAlerts(req, res)
        : Object.hasOwn(routes, url.pathname)
          ? routes[url.pathname]
          : undefined;
    const route = handler ? url.pathname : "unmatched";
    inFlight += 1;
    const faulty = url.pathname.startsWith("/api/");
    const respond = async (): Promise<number> => {
      if (!handler) return send(res, 404, { error: "not found" });
      if (faulty && options.latencyMs > 0) await new Promise((r) => setTimeout(r, options.latencyMs));
      if (faulty && options.errorRate > 0 && options.random() < options.errorRate) {
        return send(res, 500, { error: "injected fault" });
      }
      return handler(res);
    };
    respond()
      .catch(() => send(res, 500, { error: "internal error" }))
      .then((status) => {
        inFlight -= 1;
        const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const method = req.method ?? "GET";
        requests.inc({ method, route, status: String(status) });
        if (status >= 500) errors.inc({ route });
        duration.observe({ method, route }, seconds);
        writeLog(`${new Date().toISOString()} ${method} ${url.pathname} ${status} ${seconds.toFixed(4)}\n`);
      });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
  return status;
}

if (require.main === module) {
  const options = optionsFromEnv(process.env);
  const server = createApi(options);
  server.listen(options.port, () => console.log(`api listening on :${options.port}`));
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
