// The dev stack's containers on a real Docker engine: every image built from its Dockerfile on
// the local Debian base, every container created with the settings the Docker target gives it
// (components/targets/docker/containers.ts: limits, user, capped logs, healthchecks, mounts,
// files), started in depends-on order. Then: all healthy, Prometheus scrapes them, the API's
// output is searchable in VictoriaLogs, a backup runs inside its container, and a stopped data store
// reaches the paging receiver; the time from fault to notification is measured. Torn down
// afterwards.
//
// The Pulumi engine's Docker provider cannot be obtained on this machine (toolchain/README.md),
// so this test drives the Docker CLI itself (test/support/docker-stack.ts); the settings come from
// the same functions the target uses, but resource registration, diffs and ordering by the engine
// are not exercised.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { containerName, containerRunSpec } from "../../components/targets/docker/containers";
import { restoreProcedures } from "../../components/backup/restore";
import { dockerCommands } from "../../stacks/opsdocs/commands";
import { buildModel } from "../../stacks/opsdocs/model";
import { checkCommand } from "../../stacks/opsdocs/runbook";
import { worstCaseLatencies } from "../../bench/alert-latency";
import { planEnvironment } from "../../stacks/plan";
import { dockerStack } from "../support/docker-stack";
import { loadRepoStack } from "../support/stack-files";

const stack = `e2e${process.pid}`;
const config = loadRepoStack("dev");
const plan = planEnvironment(config);

const { ctx, docker, createContainer, waitHealthy, ipOf, poll, promQuery, up, down } = dockerStack(stack, config, plan);

before(up);

after(down);

test("every workload of the dev stack becomes healthy with its limits", async () => {
  for (const w of plan.workloads) await waitHealthy(containerName(ctx, w.name), 180);
  const memory = Number(docker(["inspect", "-f", "{{.HostConfig.Memory}}", containerName(ctx, "prometheus")]));
  assert.equal(memory, 256 * 1024 ** 2, "Prometheus runs within the RAVE envelope");
  const log = docker(["inspect", "-f", "{{json .HostConfig.LogConfig.Config}}", containerName(ctx, "api")]);
  assert.deepEqual(JSON.parse(log), {
    labels: "app.kubernetes.io/name,ops-baseline/environment",
    "max-file": "5",
    "max-size": "9765k",
  });
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

test("the API's stdout is searchable in VictoriaLogs under service.name=api, and counted for its alerts", async () => {
  const api = containerName(ctx, "api");
  const nonce = `e2e-${Date.now()}`;
  // The API writes each alert its webhook receives to stdout: a unique alert name, a unique line.
  const posted = await fetch(`http://${ipOf(api)}:3000/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ alerts: [{ status: "firing", labels: { alertname: nonce } }] }),
  });
  assert.equal(posted.status, 200);
  const store = `http://${ipOf(containerName(ctx, "victorialogs"))}:9428`;
  const query = `service.name:=api AND deployment.environment.name:=dev AND "${nonce}"`;
  const rows = await poll("the API's line in VictoriaLogs", 90, async () => {
    const res = await fetch(`${store}/select/logsql/query`, { method: "POST", body: new URLSearchParams({ query }) });
    const lines = (await res.text()).split("\n").filter((l) => l.trim() !== "");
    return lines.length > 0 ? lines.map((l) => JSON.parse(l) as Record<string, string>) : undefined;
  });
  assert.equal(rows[0]["service.name"], "api");
  assert.equal(rows[0]["deployment.environment.name"], "dev");
  // The collector's count of the API's lines reaches Prometheus (what ServiceLogsStopped reads).
  const counted = await poll("the API's line count in Prometheus", 90, async () => {
    const r = await promQuery('ops_baseline_log_records_total{job="otelcol-counts",service_name="api"}');
    return r.length > 0 ? r : undefined;
  });
  assert.ok(Number(counted[0].value[1]) >= 1);
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
