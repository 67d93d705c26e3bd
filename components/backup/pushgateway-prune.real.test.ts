// Removing a data store removes its metrics: pushgateway-prune against a real Pushgateway
// (Debian's prometheus-pushgateway), with the environment the plan gives its job.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { freePort } from "../../test/support/postgres";
import { readStackFileText, REPO_ROOT, stackFileInputFromText } from "../../test/support/stack-files";
import { requireTool } from "../../test/support/tools";

const BIN = path.join(REPO_ROOT, "images", "backup", "bin");
let server: ChildProcess | undefined;
let url: string;
let port: number;

async function startPushgateway() {
  const bin = requireTool("prometheus-pushgateway");
  server = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the Pushgateway did not become ready");
}

async function push(job: string, backup: string) {
  const body = `# TYPE ${job}_last_attempt_success gauge\n${job}_last_attempt_success{backup="${backup}"} 1\n`;
  const r = await fetch(`${url}/metrics/job/${job}/backup/${backup}`, { method: "POST", body });
  assert.ok(r.ok, `push ${job}/${backup}: ${r.status}`);
}

async function groups(): Promise<string[]> {
  const r = (await (await fetch(`${url}/api/v1/metrics`)).json()) as { data: { labels: Record<string, string> }[] };
  return r.data
    .map((g) =>
      Object.entries(g.labels)
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
    )
    .sort();
}

/** The prune job of the dev plan, with the data store `redis` removed from the stack file. */
function pruneJobWithoutRedis() {
  const doc = parseYaml(readStackFileText("dev"));
  delete doc.config["ops-baseline:dataStores"].redis;
  for (const svc of Object.values(
    doc.config["ops-baseline:services"] as Record<
      string,
      { dependsOn?: string[]; env?: Record<string, string>; secretEnv?: Record<string, string> }
    >,
  )) {
    if (svc.dependsOn) svc.dependsOn = svc.dependsOn.filter((d) => d !== "redis");
    if (svc.env) for (const k of Object.keys(svc.env)) if (k.startsWith("REDIS_")) delete svc.env[k];
    if (svc.secretEnv) for (const k of Object.keys(svc.secretEnv)) if (k.startsWith("REDIS_")) delete svc.secretEnv[k];
  }
  const plan = planEnvironment(loadStackConfig(stackFileInputFromText("dev", stringify(doc))));
  const job = plan.jobs.find((j) => j.name === "backup-metrics-prune");
  assert.ok(job, "the plan has the prune job");
  assert.deepEqual(job.command, ["/opt/ops-baseline/bin/pushgateway-prune"]);
  return job;
}

function prune(env: Record<string, string>) {
  return spawnSync(path.join(BIN, "pushgateway-prune"), [], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...env, PUSHGATEWAY_URL: url },
  });
}

before(async () => {
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await startPushgateway();
});

after(() => {
  server?.kill();
});

test("a data store removed from the stack file loses its Pushgateway groups; everything configured or not ours stays", async () => {
  const job = pruneJobWithoutRedis();
  assert.equal(job.env.CONFIGURED_BACKUPS, "api-logs postgres postgres-pitr");
  assert.equal(job.env.CONFIGURED_RESTORE_DRILLS, "postgres");
  for (const b of ["api-logs", "postgres", "postgres-pitr", "redis"]) await push("backup", b);
  await push("restore_drill", "postgres");
  await push("restore_drill", "old-postgres");
  // Not a backup group: another job's, and one keyed by more labels.
  await push("batch", "redis");
  const extra = await fetch(`${url}/metrics/job/backup/backup/redis/instance/x`, {
    method: "POST",
    body: '# TYPE backup_last_attempt_success gauge\nbackup_last_attempt_success{backup="redis"} 1\n',
  });
  assert.ok(extra.ok);

  const r = prune(job.env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /2 group\(s\) deleted/);
  assert.deepEqual(await groups(), [
    "backup=api-logs,job=backup",
    "backup=postgres,job=backup",
    "backup=postgres,job=restore_drill",
    "backup=postgres-pitr,job=backup",
    "backup=redis,instance=x,job=backup",
    "backup=redis,job=batch",
  ]);
  const again = prune(job.env);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /0 group\(s\) deleted/);
});

test("an unreachable Pushgateway fails the run", async () => {
  server?.kill();
  await new Promise((r) => setTimeout(r, 300));
  const r = prune({ CONFIGURED_BACKUPS: "postgres" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /FAILED: cannot read the groups/);
});
