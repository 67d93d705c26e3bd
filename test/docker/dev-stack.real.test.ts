// The dev stack's containers on a real Docker engine: every image built from its Dockerfile on
// the local Debian base, every container created with the settings the Docker target gives it
// (components/targets/docker/containers.ts: limits, user, capped logs, healthchecks, mounts,
// files), started in depends-on order. Then: all healthy, Prometheus scrapes them, the API's
// output is searchable in Loki, a backup runs inside its container, and a stopped data store
// reaches the paging receiver; the time from fault to notification is measured. Torn down
// afterwards.
//
// The Pulumi engine's Docker provider cannot be obtained on this machine (toolchain/README.md),
// so this test drives the Docker CLI itself; the settings come from the same functions the
// target uses, but resource registration, diffs and ordering by the engine are not exercised.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { fillSecretTemplate } from "../../components/targets/secrets";
import {
  containerName,
  containerRunSpec,
  healthcheckFor,
  podsAlias,
  scheduledCommand,
  secretEnvEntries,
  type ContainerRunSpec,
  type DockerContext,
} from "../../components/targets/docker/containers";
import { orderByDependencies } from "../../components/targets/docker";
import type { ContainerSpec, Workload } from "../../components/workloads/model";
import { restoreProcedures } from "../../components/backup/restore";
import { dockerCommands } from "../../components/opsdocs/commands";
import { buildModel } from "../../components/opsdocs/model";
import { checkCommand } from "../../components/opsdocs/runbook";
import { DOCKER_JOB_SCHEDULER } from "../../stacks/environment";
import { worstCaseLatencies } from "../../bench/alert-latency";
import { planEnvironment } from "../../stacks/plan";
import { buildImage, docker } from "../support/docker";
import { upload } from "../support/docker-sandbox";
import { loadRepoStack, REPO_ROOT } from "../support/stack-files";

const stack = `e2e${process.pid}`;
const ctx: DockerContext = { stack, bindAddress: "127.0.0.1", networkName: `ops-baseline-${stack}` };
const config = loadRepoStack("dev");
const plan = planEnvironment(config);
const created: string[] = [];
const volumes = new Set<string>();

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function createContainer(name: string, run: ContainerRunSpec, extra: string[], entrypoint: string[] | undefined) {
  const args = ["create", "--name", name, "--network", ctx.networkName, "--init"];
  if (run.user) args.push("--user", run.user);
  if (run.readOnly) args.push("--read-only");
  args.push("--memory", `${run.memoryMegabytes}m`, "--memory-swap", `${run.memoryMegabytes}m`, "--cpus", run.cpus);
  args.push("--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--log-driver", "json-file");
  for (const [k, v] of Object.entries(run.logOptions)) args.push("--log-opt", `${k}=${v}`);
  for (const e of [...run.env, ...secretEnvEntries(name, run.secretEnv, config.secrets)]) args.push("--env", e);
  for (const [k, v] of Object.entries(run.labels)) args.push("--label", `${k}=${v}`);
  for (const m of run.mounts) {
    if (m.type === "tmpfs") args.push("--tmpfs", `${m.target}:size=${m.tmpfsSizeBytes},mode=1777`);
    else if (m.type === "bind") {
      args.push("--mount", `type=bind,src=${m.source},dst=${m.target}${m.readOnly ? ",readonly" : ""}`);
    } else {
      args.push("--mount", `type=volume,src=${m.source},dst=${m.target}${m.readOnly ? ",readonly" : ""}`);
      if (!volumes.has(m.source!)) {
        docker(["volume", "create", m.source!]);
        volumes.add(m.source!);
      }
    }
  }
  const cmd = [...(entrypoint ?? []), ...(run.args ?? [])];
  if (entrypoint?.length) args.push("--entrypoint", entrypoint[0]);
  args.push(...extra, run.image, ...(entrypoint?.length ? cmd.slice(1) : cmd));
  docker(args);
  created.push(name);
  upload(name, [
    ...run.files,
    ...run.secretFiles.map((f) => ({
      path: f.path,
      mode: f.mode,
      content: fillSecretTemplate(f.template, config.secrets, name),
    })),
  ]);
  docker(["start", name]);
}

function healthArgs(w: Workload): string[] {
  const h = healthcheckFor(w);
  if (!h) return [];
  const [, ...command] = h.tests;
  return [
    "--health-cmd",
    command.map(shellQuote).join(" "),
    "--health-interval",
    h.interval,
    "--health-timeout",
    h.timeout,
    "--health-retries",
    String(h.retries),
    "--health-start-period",
    h.startPeriod,
  ];
}

async function waitHealthy(name: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let status = "";
  while (Date.now() < deadline) {
    status = docker([
      "inspect",
      "-f",
      "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.Status}}",
      name,
    ]);
    if (status.startsWith("healthy") || status.startsWith("none running")) return;
    if (status.endsWith("exited")) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(
    `${name} is not healthy (${status}); last log lines:\n${spawnSync("docker", ["logs", "--tail", "20", name], { encoding: "utf8" }).stderr}`,
  );
}

function ipOf(name: string): string {
  return docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name]);
}

async function poll<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

async function promQuery(query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const ip = ipOf(containerName(ctx, "prometheus"));
  const res = await fetch(`http://${ip}:9090/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return body.data.result;
}

before(async () => {
  const ready = spawnSync("bash", [path.join(REPO_ROOT, "scripts/docker-engine.sh")], { encoding: "utf8" });
  assert.equal(ready.status, 0, `no Docker engine: ${ready.stderr}`);
  const base = spawnSync("bash", [path.join(REPO_ROOT, "images/base/build.sh")], { encoding: "utf8" });
  assert.equal(base.status, 0, `no base image: ${base.stderr}`);
  const images = new Map<string, ContainerSpec["image"]>();
  for (const spec of [...plan.workloads, ...plan.workloads.flatMap((w) => w.sidecars), ...plan.jobs])
    images.set(spec.image.ref, spec.image);
  for (const image of images.values()) buildImage(image);
  docker(["network", "create", ctx.networkName]);
  for (const w of orderByDependencies(plan.workloads)) {
    for (const dep of w.dependsOn) await waitHealthy(containerName(ctx, dep), 180);
    const run = containerRunSpec(ctx, w.name, w, undefined, w.labels);
    createContainer(
      containerName(ctx, w.name),
      run,
      ["--network-alias", w.name, "--network-alias", podsAlias(w.name), ...healthArgs(w)],
      w.command,
    );
    for (const s of w.sidecars) {
      createContainer(
        containerName(ctx, `${w.name}-${s.name}`),
        containerRunSpec(ctx, w.name, { ...s, logPolicy: w.logPolicy }, undefined, w.labels),
        [],
        s.command,
      );
    }
  }
  for (const job of plan.jobs) {
    const run = containerRunSpec(ctx, job.name, job, undefined, {
      ...job.labels,
      "ops-baseline/schedule": job.schedule,
    });
    createContainer(
      containerName(ctx, job.name),
      run,
      ["--network-alias", job.name],
      scheduledCommand(job, DOCKER_JOB_SCHEDULER),
    );
  }
});

after(() => {
  for (const name of created.reverse()) spawnSync("docker", ["rm", "-f", "-v", name]);
  spawnSync("docker", ["network", "rm", ctx.networkName]);
  for (const v of volumes) spawnSync("docker", ["volume", "rm", v]);
});

test("every workload of the dev stack becomes healthy with its limits", async () => {
  for (const w of plan.workloads) await waitHealthy(containerName(ctx, w.name), 180);
  const memory = Number(docker(["inspect", "-f", "{{.HostConfig.Memory}}", containerName(ctx, "prometheus")]));
  assert.equal(memory, 256 * 1024 ** 2, "Prometheus runs within the RAVE envelope");
  const log = docker(["inspect", "-f", "{{json .HostConfig.LogConfig.Config}}", containerName(ctx, "api")]);
  assert.deepEqual(JSON.parse(log), { "max-file": "5", "max-size": "9765k" });
  const ready = await fetch(`http://${ipOf(containerName(ctx, "api"))}:3000/ready`);
  assert.equal(ready.status, 200, await ready.text());
});

test("Prometheus scrapes every job and the blackbox probe of the API", async () => {
  const jobs = new Set(plan.workloads.flatMap((w) => w.metrics.map((m) => m.job ?? w.name)));
  const up = await poll("every target up", 90, async () => {
    const result = await promQuery("up == 1");
    const seen = new Set(result.map((r) => r.metric.job));
    return [...jobs].every((j) => seen.has(j)) ? seen : undefined;
  });
  assert.ok(up.has("api") && up.has("postgres-exporter") && up.has("redis-exporter"));
  const probe = await poll("probe_success of the API", 60, async () => {
    const r = await promQuery('probe_success{job="blackbox"}');
    return r.length > 0 ? r : undefined;
  });
  assert.equal(probe[0].value[1], "1");
});

test("the API's stdout is searchable in Loki under service=api, environment=dev", async () => {
  const api = containerName(ctx, "api");
  const nonce = `e2e-${Date.now()}`;
  // The API writes each alert its webhook receives to stdout: a unique alert name, a unique line.
  const posted = await fetch(`http://${ipOf(api)}:3000/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ alerts: [{ status: "firing", labels: { alertname: nonce } }] }),
  });
  assert.equal(posted.status, 200);
  const loki = `http://${ipOf(containerName(ctx, "loki"))}:3100`;
  const query = `{service="api",environment="dev",container="${api}"} |= "${nonce}"`;
  const streams = await poll("the API's line in Loki", 90, async () => {
    const res = await fetch(`${loki}/loki/api/v1/query_range?query=${encodeURIComponent(query)}&since=10m`);
    const body = (await res.json()) as { data: { result: Array<{ stream: Record<string, string> }> } };
    return body.data.result.length > 0 ? body.data.result : undefined;
  });
  assert.equal(streams[0].stream.service, "api");
  assert.equal(streams[0].stream.environment, "dev");
});

test("a backup runs inside its container and its metrics reach Prometheus", async () => {
  const out = spawnSync(
    "docker",
    ["exec", containerName(ctx, "postgres-backup"), "/opt/ops-baseline/bin/backup-postgres"],
    { encoding: "utf8" },
  );
  assert.equal(out.status, 0, out.stderr);
  assert.match(
    docker(["exec", containerName(ctx, "postgres-backup"), "ls", "/backups"]),
    /postgres-\d{8}T\d{6}Z\.dump/,
  );
  const archive = spawnSync(
    "docker",
    ["exec", containerName(ctx, "api-logs-archive"), "/opt/ops-baseline/bin/restic-backup"],
    { encoding: "utf8" },
  );
  assert.equal(archive.status, 0, archive.stderr);
  assert.match(
    docker(["exec", containerName(ctx, "api-logs-archive"), "/opt/ops-baseline/bin/restic-restore", "--list"]),
    /1 snapshots/,
  );
  await poll("backup metrics in Prometheus", 60, async () => {
    const r = await promQuery('backup_last_attempt_success{backup="postgres"} == 1');
    return r.length > 0 ? r : undefined;
  });
});

test("the generated runbook's commands work on the real containers: health, restore, restart", () => {
  // The same functions that write docs/stacks/dev/*.md, for this test's stack name.
  const cmd = dockerCommands({ config, stack, workloads: plan.workloads, jobs: plan.jobs }, ctx);
  const model = buildModel({
    stack,
    stackFile: "Pulumi.dev.yaml",
    plan,
    attachments: { workloads: {}, alerts: {} },
    regenerate: "",
  });
  const shell = (line: string, seconds = 120) =>
    spawnSync("timeout", [String(seconds), "bash", "-c", line], { encoding: "utf8", maxBuffer: 64 * 1024 ** 2 });
  for (const w of plan.workloads) {
    const state = shell(cmd.health(w));
    assert.equal(state.status, 0, state.stderr);
    assert.match(state.stdout, /running healthy/, `${w.name}: ${state.stdout}`);
    const check = checkCommand(model, w);
    if (check) assert.equal(shell(check).status, 0, `${w.name}: ${check}`);
  }

  // Restore: the newest backup (made by the test above) into a new database beside the live one.
  const proc = restoreProcedures(config).find((p) => p.backup === "postgres")!;
  const job = plan.jobs.find((j) => j.name === proc.job)!;
  const restore = cmd.runInJob(job, proc.restoreNewest!(proc.defaultTarget!), "unused");
  assert.equal(restore.length, 1);
  const restored = shell(restore[0]);
  assert.equal(restored.status, 0, restored.stderr);
  assert.match(restored.stderr, /restoring postgres-\d{8}T\d{6}Z\.dump into core_agent_restored/);
  const exists = docker([
    "exec",
    containerName(ctx, proc.job),
    "psql",
    "-d",
    "postgres",
    "-tAc",
    `SELECT datname FROM pg_database WHERE datname = '${proc.defaultTarget}'`,
  ]);
  assert.equal(exists, proc.defaultTarget);
  const list = shell(cmd.runInJob(job, proc.list, "unused")[0]);
  assert.match(list.stdout, /\/backups\/postgres-\d{8}T\d{6}Z\.dump\n/);

  // Restart of the API, as the runbook prints it: back to healthy.
  const api = plan.workloads.find((w) => w.name === "api")!;
  const restart = shell(cmd.restart(api).join(" && "), 180);
  assert.equal(restart.status, 0, restart.stderr);
  assert.match(shell(cmd.health(api)).stdout, /running healthy/);
});

test("a stopped data store pages: fault to notification, measured", async () => {
  const api = `http://${ipOf(containerName(ctx, "api"))}:3000`;
  const critical = async () => {
    const text = await (await fetch(`${api}/metrics`)).text();
    const m = /^alerts_received_total\{severity="critical",status="firing"\} (\d+)$/m.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const before = await critical();
  const stoppedAt = Date.now();
  docker(["stop", "-t", "2", containerName(ctx, "redis")]);
  const seconds = await poll("a critical alert at the paging receiver", 240, async () =>
    (await critical()) > before ? (Date.now() - stoppedAt) / 1000 : undefined,
  );
  console.log(`fault to page (RedisDown, for 1m): ${seconds.toFixed(0)} s`);
  // 10 s scrape + 10 s evaluation + 60 s `for` + 10 s group wait, and the time to notice the stop.
  assert.ok(seconds <= 120, `${seconds} s`);
});

test("a killed service container pages: fault to notification, measured", async () => {
  // In dev the API is also the webhook sink, and it is what dies here: a second container of the
  // same image answers under the name the receivers use (`api`), but not under `api-pods`, the name
  // Prometheus scrapes, so it stands in for the paging service without hiding the fault.
  const api = plan.workloads.find((w) => w.name === "api")!;
  const sink = containerName(ctx, "test-sink");
  createContainer(
    sink,
    containerRunSpec(ctx, "api", api, undefined, api.labels),
    ["--network-alias", "api"],
    api.command,
  );
  await poll("the stand-in receiver", 60, async () =>
    (await fetch(`http://${ipOf(sink)}:3000/health`)).status === 200 ? true : undefined,
  );
  const target = containerName(ctx, "api");
  // A crash that stays down (the restart policy would otherwise bring it back within a second).
  docker(["update", "--restart=no", target]);
  const killedAt = Date.now();
  docker(["kill", "--signal", "KILL", target]);
  // When the receiver logged the page (its own timestamp, so polling adds nothing).
  const pagedAt = async () => {
    const line = docker(["logs", "--timestamps", sink])
      .split("\n")
      .find((l) => /alert firing ServiceDown severity=critical/.test(l));
    return line ? Date.parse(line.split(" ")[0]) : undefined;
  };
  const seconds = ((await poll("ServiceDown at the receiver", 240, pagedAt)) - killedAt) / 1000;
  const bound = worstCaseLatencies(config).find((l) => l.alert === "ServiceDown")!.seconds;
  console.log(
    `fault to page (killed API container, ServiceDown for 30s): ${seconds.toFixed(0)} s (computed bound ${bound} s)`,
  );
  // Either the next scrape fails (interval + timeout) or the container leaves Docker's DNS first
  // and its `up` series goes stale 2.1 intervals after the last scrape; then evaluation, `for` and
  // group wait: the computed bound (bench/alert-latency.ts). 5 s of slack for delivery.
  assert.ok(seconds <= 60 && seconds <= bound + 5, `${seconds} s`);
});
