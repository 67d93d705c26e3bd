// The reference stacks' own jobs (C0Di3's weekly VACUUM ANALYZE and monthly REINDEX) run by
// `run-job` exactly as they are planned, against a real PostgreSQL 15 holding the database they
// name: each does its work (the table is analysed, the index rebuilt), a failing run and a run
// past its timeout are reported as failures. The Pushgateway here is a recording HTTP server
// (the real one is in jobs.real.test.ts).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { planEnvironment } from "../../stacks/plan";
import { startPostgres, type Postgres } from "../../test/support/postgres";
import { loadRepoStack, REPO_ROOT } from "../../test/support/stack-files";
import type { ScheduledJob } from "../workloads/model";

const RUN_JOB = path.join(REPO_ROOT, "images", "backup", "bin", "run-job");
const config = loadRepoStack("dev");
const jobs = planEnvironment(config).jobs.filter((j) => j.role === "job");
let pg: Postgres;
let gateway: http.Server;
let gatewayUrl: string;
const pushes: Array<{ path: string; body: string }> = [];

before(async () => {
  pg = await startPostgres();
  const db = "core_agent";
  pg.psql("postgres", `CREATE DATABASE ${db}`);
  pg.psql(db, "CREATE TABLE events (id serial PRIMARY KEY, body text); CREATE INDEX events_body ON events (body)");
  pg.psql(db, "INSERT INTO events (body) SELECT md5(i::text) FROM generate_series(1, 5000) i");
  gateway = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      pushes.push({ path: req.url ?? "", body });
      res.end();
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
after(() => {
  pg?.stop();
  gateway?.close();
});

/**
 * Runs a planned job's command through run-job, with its env pointed at the test server. Async,
 * so the recording server in this process answers the push.
 */
function runJob(
  job: ScheduledJob,
  overrides: Record<string, string> = {},
): Promise<{ status: number | null; stderr: string }> {
  const command = job.command!.slice(job.command!.indexOf("--") + 1);
  const env = {
    ...process.env,
    ...job.env,
    PGHOST: "127.0.0.1",
    PGPORT: String(pg.port),
    PGUSER: "postgres",
    PGPASSWORD: "unused-with-trust",
    PUSHGATEWAY_URL: gatewayUrl,
    ...overrides,
  };
  return new Promise((resolve) => {
    const child = spawn("bash", [RUN_JOB, "--", ...command], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

/** What the last push for this job said: metric name -> value. */
function lastPush(name: string): Record<string, number> {
  const push = pushes.filter((p) => p.path === `/metrics/job/scheduled_job/scheduled_job/${name}`).at(-1);
  assert.ok(push, `${name} pushed its outcome`);
  return Object.fromEntries(
    push.body
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => {
        assert.match(l, new RegExp(`\\{scheduled_job="${name}"\\} `));
        return [l.slice(0, l.indexOf("{")), Number(l.split(" ").pop())];
      }),
  );
}

const job = (name: string) => {
  const found = jobs.find((j) => j.name === name);
  assert.ok(found, `the dev stack plans ${name}`);
  return found;
};

test("vacuum-analyze analyses the tables of the database it names, and reports success", async () => {
  assert.equal(
    pg.psql("core_agent", "SELECT last_analyze IS NULL FROM pg_stat_user_tables WHERE relname = 'events'"),
    "t",
  );
  const r = await runJob(job("vacuum-analyze"));
  assert.equal(r.status, 0, r.stderr);
  // The statistics collector reports the analyse shortly after.
  let analysed = "f";
  for (let i = 0; i < 20 && analysed !== "t"; i++) {
    analysed = pg.psql(
      "core_agent",
      "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'events'",
    );
    if (analysed !== "t") await new Promise((res) => setTimeout(res, 250));
  }
  assert.equal(analysed, "t", "VACUUM (ANALYZE) ran on events");
  const m = lastPush("vacuum-analyze");
  assert.equal(m.scheduled_job_last_attempt_success, 1);
  assert.ok(m.scheduled_job_last_success_timestamp_seconds > Date.now() / 1000 - 60);
});

test("reindex rebuilds the database's indexes (new files), and reports success", async () => {
  const fileOf = () => pg.psql("core_agent", "SELECT relfilenode FROM pg_class WHERE relname = 'events_body'");
  const before = fileOf();
  const r = await runJob(job("reindex"));
  assert.equal(r.status, 0, r.stderr);
  assert.notEqual(fileOf(), before, "REINDEX DATABASE CONCURRENTLY built a new index file");
  assert.equal(lastPush("reindex").scheduled_job_last_attempt_success, 1);
});

test("a failing run (the database is gone) is reported as a failure without a success time", async () => {
  const r = await runJob(job("vacuum-analyze"), { PGDATABASE: "no_such_database" });
  assert.notEqual(r.status, 0);
  const m = lastPush("vacuum-analyze");
  assert.equal(m.scheduled_job_last_attempt_success, 0);
  assert.equal(m.scheduled_job_last_success_timestamp_seconds, undefined, "the Pushgateway keeps the last success");
});

test("a run past its timeout is stopped and reported as a failure", async () => {
  const t0 = Date.now();
  const r = await runJob(
    { ...job("vacuum-analyze"), command: ["run-job", "--", "psql", "-c", "SELECT pg_sleep(60)"] },
    {
      JOB_TIMEOUT_SECONDS: "2",
    },
  );
  assert.equal(r.status, 124, r.stderr);
  assert.ok(Date.now() - t0 < 15_000, `stopped after ${Date.now() - t0} ms`);
  assert.match(r.stderr, /stopped after its timeout of 2s/);
  assert.equal(lastPush("vacuum-analyze").scheduled_job_last_attempt_success, 0);
});
