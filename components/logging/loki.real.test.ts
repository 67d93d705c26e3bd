// The log store with the real parts: Loki, Promtail and Alertmanager of the pinned versions
// (toolchain/observability.sh) on loopback, and a real container on the Docker engine whose
// output Promtail collects through the Docker API. A line the container writes must come back
// from Loki's query API under its service and environment labels, and a line matching the
// error pattern must reach Alertmanager as an alert from Loki's ruler.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { planEnvironment } from "../../stacks/plan";
import { loadRepoStack, STACKS } from "../../test/support/stack-files";
import { pinnedTool, run, runOk } from "../../test/support/tools";
import { LOKI_CONFIG, LOKI_RULE_FILE, renderLokiConfig, renderLokiRules, renderPromtailDockerConfig } from "./loki";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-loki-"));
const children: ChildProcess[] = [];
const containers: string[] = [];
after(async () => {
  for (const c of containers) run("docker", ["rm", "-f", c]);
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
  fs.rmSync(work, { recursive: true, force: true });
});

for (const stack of STACKS) {
  test(`${stack}: the real Loki accepts the rendered configuration (-verify-config), retention included`, () => {
    const loki = pinnedTool("loki");
    const plan = planEnvironment(loadRepoStack(stack));
    const workload = plan.workloads.find((w) => w.name === "loki");
    assert.ok(workload, `${stack} has a loki workload`);
    const config = workload.files.find((f) => f.path === LOKI_CONFIG)!.content;
    const days = stack === "dev" ? 7 : 30;
    assert.match(config, new RegExp(`retention_period: ${days * 24}h`));
    assert.match(config, /retention_enabled: true/);
    const file = path.join(work, `${stack}-loki.yml`);
    fs.writeFileSync(file, config);
    assert.match(runOk(loki, [`-config.file=${file}`, "-verify-config"]), /config is valid/i);
  });
}

for (const stack of STACKS) {
  test(`${stack}: lokitool parses the ruler's log-pattern rule (LogQL), and refuses a broken one`, () => {
    const lokitool = pinnedTool("lokitool");
    const loki = planEnvironment(loadRepoStack(stack)).workloads.find((w) => w.name === "loki")!;
    const rules = loki.files.find((f) => f.path === LOKI_RULE_FILE)!.content;
    const file = path.join(work, `${stack}-rules.yml`);
    fs.writeFileSync(file, rules);
    assert.match(runOk(lokitool, ["rules", "lint", "--dry-run", file]), /1 rules found, 1 linted expressions/);
    runOk(lokitool, ["rules", "check", file]);
    const broken = path.join(work, `${stack}-broken-rules.yml`);
    fs.writeFileSync(broken, rules.replace("count_over_time(", "count_over_tim("));
    const result = run(lokitool, ["rules", "lint", "--dry-run", broken]);
    assert.notEqual(result.status, 0, "lokitool accepted a broken LogQL expression");
    assert.match(result.stdout + result.stderr, /could not parse expression for alert 'ServiceLogErrorPattern'/);
  });
}

test("the real Loki refuses retention without a delete-request store (the check can fail)", () => {
  const loki = pinnedTool("loki");
  const config = renderLokiConfig({
    retentionSeconds: 7 * 86400,
    dataDir: path.join(work, "bad"),
    rulesDir: path.join(work, "bad-rules"),
    alertmanagerUrl: "http://127.0.0.1:9",
  }).replace(/^ {2}delete_request_store: filesystem\n/m, "");
  const file = path.join(work, "bad-loki.yml");
  fs.writeFileSync(file, config);
  const result = run(loki, [`-config.file=${file}`, "-verify-config"]);
  assert.notEqual(result.status, 0, `loki accepted retention without a delete-request store:\n${result.stderr}`);
  assert.match(result.stdout + result.stderr, /delete.request.store/i);
});

function start(name: string, command: string, args: string[]): ChildProcess {
  const log = fs.openSync(path.join(work, `${name}.log`), "w");
  const child = spawn(command, args, { stdio: ["ignore", log, log], cwd: work });
  children.push(child);
  return child;
}

function logOf(name: string): string {
  return fs
    .readFileSync(path.join(work, `${name}.log`), "utf8")
    .split("\n")
    .slice(-30)
    .join("\n");
}

async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, logs: string[]) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(
    `${what}: not within ${timeoutMs / 1000} s (${String(last ?? "")})\n${logs.map(logOf).join("\n---\n")}`,
  );
}

test("a line a container writes is found in Loki with its service and environment labels, and an error line alerts", async () => {
  const loki = pinnedTool("loki");
  const promtail = pinnedTool("promtail");
  const alertmanager = pinnedTool("alertmanager");
  runOk("docker", ["version", "--format", "{{.Server.Version}}"]);

  const [lokiPort, lokiGrpc, amPort, amCluster, promtailPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  // A unique environment label: the engine is shared, and the collector keeps only this one.
  const environment = `lokitest${process.pid}`;
  const service = "logtest-api";
  const nonce = `${Date.now()}-${Math.random().toString(36).slice(2)}`;

  fs.writeFileSync(path.join(work, "alertmanager.yml"), "route:\n  receiver: sink\nreceivers:\n  - name: sink\n");
  start("alertmanager", alertmanager, [
    `--config.file=${path.join(work, "alertmanager.yml")}`,
    `--storage.path=${path.join(work, "am-data")}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    `--cluster.listen-address=127.0.0.1:${amCluster}`,
  ]);

  const rulesDir = path.join(work, "rules");
  const ruleFile = path.join(rulesDir, path.relative("/etc/loki/rules", LOKI_RULE_FILE));
  fs.mkdirSync(path.dirname(ruleFile), { recursive: true });
  fs.writeFileSync(ruleFile, renderLokiRules(environment, { pattern: "(?i)(panic|fatal|out of memory)", window: 300 }));
  const lokiConfig = path.join(work, "loki.yml");
  fs.writeFileSync(
    lokiConfig,
    renderLokiConfig({
      retentionSeconds: 7 * 86400,
      dataDir: path.join(work, "loki-data"),
      rulesDir,
      alertmanagerUrl: `http://127.0.0.1:${amPort}`,
      httpPort: lokiPort,
      grpcPort: lokiGrpc,
      ruleEvaluationInterval: "5s",
    }),
  );
  start("loki", loki, [`-config.file=${lokiConfig}`, "-server.http-listen-address=127.0.0.1"]);
  const lokiUrl = `http://127.0.0.1:${lokiPort}`;
  await waitFor("Loki ready", 90_000, async () => ((await fetch(`${lokiUrl}/ready`)).ok ? true : undefined), ["loki"]);

  const promtailConfig = path.join(work, "promtail.yml");
  fs.writeFileSync(
    promtailConfig,
    renderPromtailDockerConfig({
      environment,
      dockerHost: "unix:///var/run/docker.sock",
      lokiUrl,
      positionsFile: path.join(work, "positions.yaml"),
      httpPort: promtailPort,
      refreshInterval: "1s",
    }),
  );
  start("promtail", promtail, [`-config.file=${promtailConfig}`, "-server.http-listen-address=127.0.0.1"]);

  // A real container with the labels every workload of the stack carries.
  const name = `ops-baseline-lokitest-${process.pid}`;
  containers.push(name);
  runOk("docker", [
    "run",
    "-d",
    "--name",
    name,
    "--log-driver",
    "json-file",
    "--label",
    `app.kubernetes.io/name=${service}`,
    "--label",
    `ops-baseline/environment=${environment}`,
    "debian:bookworm-slim",
    "sh",
    "-c",
    `sleep 3; echo "request served ${nonce}"; echo "panic: worker crashed ${nonce}" >&2; sleep 600`,
  ]);

  const query = `{service="${service}",environment="${environment}"} |= "${nonce}"`;
  const streams = await waitFor(
    "the container's lines in Loki",
    90_000,
    async () => {
      const url = `${lokiUrl}/loki/api/v1/query_range?query=${encodeURIComponent(query)}&since=10m&limit=100`;
      const body = (await (await fetch(url)).json()) as {
        data: { result: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> };
      };
      const lines = body.data.result.flatMap((r) => r.values.map((v) => v[1]));
      return lines.some((l) => l.includes(`request served ${nonce}`)) && lines.some((l) => l.includes("panic"))
        ? body.data.result
        : undefined;
    },
    ["loki", "promtail"],
  );
  for (const s of streams) {
    assert.equal(s.stream.service, service);
    assert.equal(s.stream.environment, environment);
    assert.equal(s.stream.container, name);
  }
  // Another environment's label finds nothing: the labels select, they are not decoration.
  const other = await (
    await fetch(
      `${lokiUrl}/loki/api/v1/query_range?query=${encodeURIComponent(`{environment="not-${environment}"} |= "${nonce}"`)}&since=10m`,
    )
  ).json();
  assert.deepEqual((other as { data: { result: unknown[] } }).data.result, []);

  // The ruler counts the panic line and Alertmanager receives the alert with the service label.
  const alert = await waitFor(
    "ServiceLogErrorPattern in Alertmanager",
    120_000,
    async () => {
      const alerts = (await (await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts`)).json()) as Array<{
        labels: Record<string, string>;
      }>;
      return alerts.find((a) => a.labels.alertname === "ServiceLogErrorPattern");
    },
    ["loki", "alertmanager"],
  );
  assert.equal(alert.labels.service, service);
  assert.equal(alert.labels.environment, environment);
  assert.equal(alert.labels.severity, "ticket");
});
