// A stand-in for the applications of the example systems (examples/): the runbooks' systems are
// not ours, so one small server takes their place, configured by arguments to expose what
// operations sees of each: the ports it listens on, its health endpoints and the names of its
// metrics. Values move on their own (counters grow at a set rate, a histogram observes a set
// value every second) and can be changed at run time, so an alert on them can be made to fire:
//   POST /standin/set?metric=<name>&value=<number>   (a gauge's value, a counter's rate per
//   second, or the value a histogram observes)
// Only Node's standard library, so the image needs nothing but Debian's nodejs.
//
//   node server.js --http 8080 --health /health --tcp 6553 \
//     --counter rtap_errors_total=0 --gauge rtap_buffer_utilization_ratio=0.3 \
//     --histogram rtap_pipeline_latency_seconds=0.05@0.01,0.05,0.1,0.15,0.2,0.5,1 --log-file /app/logs/app.log
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { Counter, Histogram } from "../api/metrics";

export interface MetricSpec {
  kind: "counter" | "gauge" | "histogram";
  name: string;
  /** Labels of this series (`name{status="500"}=1`); several series may share a name. */
  labels: Record<string, string>;
  /** Counter: increase per second; gauge: value; histogram: the value observed every second. */
  value: number;
  buckets?: number[];
}

export interface StandinOptions {
  /** HTTP ports: every one answers the health paths, /metrics and WebSocket upgrades. */
  http: number[];
  /** Plain TCP ports that accept connections and hold them (ZMQ, NATS clients, ...). */
  tcp: number[];
  health: string[];
  /** Paths that accept POSTs (a webhook receiver, an alert sink): 200 and counted, 405 for GET. */
  webhooks: string[];
  metrics: MetricSpec[];
  /** A line per second is appended here (to exercise log rotation of files the system writes). */
  logFile?: string;
  name: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function number(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) throw new Error(`${flag} ${raw}: not a number`);
  return value;
}

function portNumber(flag: string, raw: string): number {
  const value = number(flag, raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`${flag} ${raw}: not a port (1-65535)`);
  return value;
}

const SERIES = /^([^{=]+)(?:\{([^}]*)\})?=(.*)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"$/;

/**
 * `name=value` or `name{label="v",...}=value`; for a histogram `name=value@b1,b2,...` (bucket
 * upper bounds, ascending).
 */
function metricSpec(flag: string, kind: MetricSpec["kind"], raw: string): MetricSpec {
  const match = SERIES.exec(raw);
  if (!match) throw new Error(`${flag} ${raw}: expected name=value or name{label="v"}=value`);
  const [, name, labelText = "", rest] = match;
  if (!METRIC_NAME.test(name)) throw new Error(`${flag} ${raw}: "${name}" is not a Prometheus metric name`);
  const labels: Record<string, string> = {};
  for (const pair of labelText.split(",").filter((p) => p.trim() !== "")) {
    const label = LABEL.exec(pair.trim());
    if (!label) throw new Error(`${flag} ${raw}: ${pair} is not a label like key="value"`);
    labels[label[1]] = label[2];
  }
  if (kind !== "histogram") return { kind, name, labels, value: number(flag, rest) };
  const [value, bucketList] = rest.split("@", 2);
  if (bucketList === undefined) throw new Error(`${flag} ${raw}: expected name=value@b1,b2,... (bucket bounds)`);
  const buckets = bucketList.split(",").map((b) => number(flag, b));
  if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1])) throw new Error(`${flag} ${raw}: buckets must ascend`);
  return { kind, name, labels, value: number(flag, value), buckets };
}

export function parseArgs(argv: string[]): StandinOptions {
  const options: StandinOptions = { http: [], tcp: [], health: [], webhooks: [], metrics: [], name: "standin" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    i++;
    switch (flag) {
      case "--http":
        options.http.push(portNumber(flag, value));
        break;
      case "--tcp":
        options.tcp.push(portNumber(flag, value));
        break;
      case "--health":
        if (!value.startsWith("/")) throw new Error(`${flag} ${value}: must start with /`);
        options.health.push(value);
        break;
      case "--webhook":
        if (!value.startsWith("/")) throw new Error(`${flag} ${value}: must start with /`);
        options.webhooks.push(value);
        break;
      case "--counter":
      case "--gauge":
      case "--histogram":
        options.metrics.push(metricSpec(flag, flag.slice(2) as MetricSpec["kind"], value));
        break;
      case "--log-file":
        options.logFile = value;
        break;
      case "--name":
        options.name = value;
        break;
      default:
        throw new Error(
          `unknown argument ${flag}; expected --http, --tcp, --health, --webhook, --counter, --gauge, --histogram, --log-file, --name`,
        );
    }
  }
  if (options.http.length === 0) throw new Error("--http: at least one HTTP port is needed (health and metrics)");
  const series = options.metrics.map((m) => seriesKey(m.name, m.labels));
  const twice = series.find((n, i) => series.indexOf(n) !== i);
  if (twice) throw new Error(`metric ${twice} is declared twice`);
  for (const m of options.metrics) {
    const other = options.metrics.find((o) => o.name === m.name && o.kind !== m.kind);
    if (other) throw new Error(`metric ${m.name} is declared as ${m.kind} and as ${other.kind}`);
  }
  if (options.health.length === 0) options.health.push("/health");
  return options;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}="${labels[k]}"`).join(",")}}`;
}

/** The Sec-WebSocket-Accept answer of RFC 6455 to a client's key. */
export function websocketAccept(key: string): string {
  return crypto.createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
}

interface Series {
  spec: MetricSpec;
  /** Counter: rate per second; gauge: value; histogram: the value observed every second. */
  value: number;
}

export class Standin {
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly series = new Map<string, Series>();
  /** POSTs received on the webhook paths, by path. */
  private readonly received = new Counter("standin_webhook_requests_total", "POSTs received on a webhook path");
  private readonly servers: Array<http.Server | net.Server> = [];
  private readonly sockets = new Set<net.Socket>();
  private ticker?: NodeJS.Timeout;
  private readonly started = Date.now() / 1000;

  constructor(readonly options: StandinOptions) {
    for (const spec of options.metrics) {
      this.series.set(seriesKey(spec.name, spec.labels), { spec, value: spec.value });
      if (spec.kind === "counter" && !this.counters.has(spec.name)) {
        this.counters.set(spec.name, new Counter(spec.name, "stand-in", Object.keys(spec.labels).length === 0));
      }
      if (spec.kind === "histogram" && !this.histograms.has(spec.name)) {
        this.histograms.set(spec.name, new Histogram(spec.name, "stand-in", spec.buckets));
      }
      // Labelled counters are exposed at zero from the start, like a client library's.
      if (spec.kind === "counter" && Object.keys(spec.labels).length > 0)
        this.counters.get(spec.name)!.inc(spec.labels, 0);
    }
  }

  /** One second of the system's life: counters grow, histograms observe, a log line is written. */
  tick(): void {
    for (const s of this.series.values()) {
      if (s.spec.kind === "counter" && s.value > 0) this.counters.get(s.spec.name)!.inc(s.spec.labels, s.value);
      if (s.spec.kind === "histogram") this.histograms.get(s.spec.name)!.observe(s.spec.labels, s.value);
    }
    if (this.options.logFile) {
      const line = JSON.stringify({ level: "INFO", logger: this.options.name, message: "tick", uptime: this.uptime() });
      fs.appendFile(this.options.logFile, `${line}\n`, () => undefined);
    }
  }

  private uptime(): number {
    return Math.round(Date.now() / 1000 - this.started);
  }

  /** Sets a series' value (`name` or `name{label="v"}` as declared); false for an unknown series. */
  set(series: string, value: number): boolean {
    const s = this.series.get(series);
    if (s) s.value = value;
    return s !== undefined;
  }

  private gaugesText(): string[] {
    const byName = new Map<string, Series[]>();
    for (const s of this.series.values()) {
      if (s.spec.kind === "gauge") byName.set(s.spec.name, [...(byName.get(s.spec.name) ?? []), s]);
    }
    return [...byName].map(([name, list]) =>
      [
        `# HELP ${name} stand-in`,
        `# TYPE ${name} gauge`,
        ...list.map((s) => `${seriesKey(name, s.spec.labels)} ${s.value}`).sort(),
      ].join("\n"),
    );
  }

  metricsText(): string {
    const rss = process.memoryUsage().rss;
    const own = [
      ...[...this.counters.values()].map((c) => c.render()),
      ...this.gaugesText(),
      ...[...this.histograms.values()].map((h) => h.render()),
      ...(this.options.webhooks.length > 0 ? [this.received.render()] : []),
    ];
    const processMetrics = [
      "# HELP process_resident_memory_bytes Resident memory size in bytes.",
      "# TYPE process_resident_memory_bytes gauge",
      `process_resident_memory_bytes ${rss}`,
      "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
      "# TYPE process_start_time_seconds gauge",
      `process_start_time_seconds ${Math.floor(this.started)}`,
    ];
    return [...own, ...processMetrics].join("\n") + "\n";
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://standin");
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method === "GET" && this.options.health.includes(url.pathname)) {
      return send(200, JSON.stringify({ status: "ok", name: this.options.name, uptime: this.uptime() }));
    }
    if (req.method === "GET" && url.pathname === "/metrics") {
      return send(200, this.metricsText(), "text/plain; version=0.0.4");
    }
    if (this.options.webhooks.includes(url.pathname)) {
      if (req.method !== "POST") return send(405, JSON.stringify({ error: "POST only" }));
      req.resume();
      req.on("end", () => {
        this.received.inc({ path: url.pathname });
        send(200, JSON.stringify({ received: true }));
      });
      return;
    }
    if (req.method === "POST" && url.pathname === "/standin/set") {
      const name = url.searchParams.get("metric") ?? "";
      const value = Number(url.searchParams.get("value"));
      if (!Number.isFinite(value)) return send(400, JSON.stringify({ error: "value must be a number" }));
      if (!this.set(name, value)) return send(404, JSON.stringify({ error: `no metric ${name}` }));
      return send(200, JSON.stringify({ metric: name, value }));
    }
    send(404, JSON.stringify({ error: "not found" }));
  }

  /** Answers a WebSocket upgrade (RFC 6455 handshake) and keeps the connection open. */
  private upgrade(req: http.IncomingMessage, socket: net.Socket): void {
    const key = req.headers["sec-websocket-key"];
    if (typeof key !== "string" || req.headers.upgrade?.toLowerCase() !== "websocket") {
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`,
    );
    this.track(socket);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
  }

  async start(host = "0.0.0.0"): Promise<void> {
    if (this.options.logFile) fs.mkdirSync(path.dirname(this.options.logFile), { recursive: true });
    for (const port of this.options.http) {
      const server = http.createServer((req, res) => this.handle(req, res));
      server.on("upgrade", (req, socket) => this.upgrade(req, socket as net.Socket));
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
    }
    for (const port of this.options.tcp) {
      const server = net.createServer((socket) => this.track(socket));
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
    }
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

if (require.main === module) {
  let options: StandinOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`standin: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const standin = new Standin(options);
  standin.start().then(
    () => console.log(JSON.stringify({ level: "INFO", message: "listening", ...options })),
    (err: Error) => {
      console.error(`standin: ${err.message}`);
      process.exit(1);
    },
  );
  const stop = () => void standin.stop().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
