// The PostgreSQL image's entrypoint (images/postgresql/docker-entrypoint.sh) in a real container
// on the local Docker engine, created with the settings the Docker target computes for the dev
// stack's `postgres` workload (environment, secrets, volumes, archiving to its pgBackRest volume):
//   - the owner's password follows its secret: after a rotation and a restart the new one opens
//     sessions, the old one does not, and a dump as the owner works;
//   - the pgBackRest stanza exists before the first backup: WAL archived right after the first
//     start succeeds, with no failed archive-push;
//   - crash recovery longer than pg_ctl's wait does not end the container (PGCTLTIMEOUT scales
//     the 60 s default down to 1 s, so a recovery of a few seconds shows it).
// The image is built under a tag of its own and removed afterwards.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { planEnvironment } from "../../stacks/plan";
import { buildImage, docker } from "../../test/support/docker";
import { DockerSandbox } from "../../test/support/docker-sandbox";
import { loadRepoStack } from "../../test/support/stack-files";
import type { Workload } from "../workloads/model";

const TAG = `ops-baseline/postgresql:entrypoint-test-${process.pid}`;
const sandbox = new DockerSandbox("pgentry");
let base: Workload;
let dockerMissing: string | undefined;

const secrets = (owner: string) => ({
  postgresPassword: owner,
  postgresAppPassword: "app-pw-1",
  postgresMonitorPassword: "monitor-pw-1",
  postgresBackupPassword: "backup-pw-1",
  pgbackrestCipherPass: "cipher-pass-for-the-test",
});

before(() => {
  if (spawnSync("docker", ["--version"]).status !== 0) {
    dockerMissing = "no docker CLI";
    return;
  }
  sandbox.start();
  const plan = planEnvironment(loadRepoStack("dev"));
  const w = plan.workloads.find((x) => x.name === "postgres")!;
  buildImage(w.image, TAG);
  base = { ...w, image: { ref: TAG }, sidecars: [] };
});

after(() => {
  sandbox.teardown();
  spawnSync("docker", ["rmi", "-f", TAG]);
});

function psqlIn(container: string, password: string, sql: string) {
  const store = { user: base.env.POSTGRES_USER, db: base.env.POSTGRES_DB };
  return spawnSync(
    "docker",
    ["exec", "-e", `PGPASSWORD=${password}`, container, "psql", "-X", "-tA", "-h", "127.0.0.1", "-p", "5432"].concat([
      "-U",
      store.user,
      "-d",
      store.db,
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      sql,
    ]),
    { encoding: "utf8" },
  );
}

/** A fresh container of the workload (same name and volumes as before, if any); each test has its own name. */
async function start(w: Workload, owner: string): Promise<string> {
  spawnSync("docker", ["rm", "-f", sandbox.name(w.name)]);
  const name = sandbox.run(w, secrets(owner));
  await sandbox.waitHealthy(name, 300);
  return name;
}

test("a rotated owner password works after a restart, the old one no longer does, and the owner's dump runs", async (t) => {
  if (dockerMissing) return t.skip(dockerMissing);
  const name = await start(base, "owner-pw-1");
  assert.equal(psqlIn(name, "owner-pw-1", "CREATE TABLE items (id int); INSERT INTO items VALUES (1)").status, 0);
  await start(base, "owner-pw-2");
  const rotated = psqlIn(name, "owner-pw-2", "SELECT count(*) FROM items");
  assert.equal(rotated.status, 0, `the new password opens a session: ${rotated.stderr}`);
  assert.equal(rotated.stdout.trim(), "1");
  assert.notEqual(psqlIn(name, "owner-pw-1", "SELECT 1").status, 0, "the old password is refused");
  const dump = spawnSync(
    "docker",
    ["exec", "-e", "PGPASSWORD=owner-pw-2", name, "pg_dump", "-h", "127.0.0.1", "-U", base.env.POSTGRES_USER].concat([
      "-Fc",
      "-f",
      "/tmp/owner.dump",
      base.env.POSTGRES_DB,
    ]),
    { encoding: "utf8" },
  );
  assert.equal(dump.status, 0, `the owner's dump (the backup job's connection) works: ${dump.stderr}`);
});

test("WAL is archived from the first start on: the stanza exists before any backup", async (t) => {
  if (dockerMissing) return t.skip(dockerMissing);
  const name = await start({ ...base, name: "postgres-archive" }, "owner-pw-2");
  assert.equal(
    psqlIn(name, "owner-pw-2", "CREATE TABLE IF NOT EXISTS wal_probe (id int); INSERT INTO wal_probe VALUES (1)")
      .status,
    0,
  );
  const segment = psqlIn(name, "owner-pw-2", "SELECT pg_walfile_name(pg_switch_wal())").stdout.trim();
  let stats = "";
  for (let i = 0; i < 60; i++) {
    stats = psqlIn(
      name,
      "owner-pw-2",
      "SELECT archived_count, failed_count, coalesce(last_archived_wal, '') FROM pg_stat_archiver",
    ).stdout.trim();
    const [archived, , last] = stats.split("|");
    if (Number(archived) > 0 && last >= segment) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const [archived, failed, last] = stats.split("|");
  assert.ok(Number(archived) > 0 && last >= segment, `segment ${segment} archived (archived, failed, last: ${stats})`);
  assert.equal(
    Number(failed),
    0,
    `no archive-push failed (archived, failed, last: ${stats}): ${docker(["logs", "--tail", "20", name])}`,
  );
});

test("crash recovery longer than pg_ctl's wait does not end the container", async (t) => {
  if (dockerMissing) return t.skip(dockerMissing);
  const w: Workload = { ...base, name: "postgres-recovery", env: { ...base.env, PGCTLTIMEOUT: "1" } };
  const name = await start(w, "owner-pw-2");
  // WAL to replay: a few hundred MB written after the last checkpoint, then the server killed.
  const load = psqlIn(
    name,
    "owner-pw-2",
    "CREATE TABLE replay (id int PRIMARY KEY, pad text); INSERT INTO replay SELECT g, md5(g::text) FROM generate_series(1, 3000000) g",
  );
  assert.equal(load.status, 0, load.stderr);
  docker(["kill", "-s", "KILL", name]);
  const started = Date.now();
  docker(["start", name]);
  await sandbox.waitHealthy(name, 600);
  const seconds = (Date.now() - started) / 1000;
  const logs = spawnSync("docker", ["logs", name], { encoding: "utf8" });
  const text = logs.stdout + logs.stderr;
  const redo = /redo done at .*elapsed: ([0-9.]+) s/.exec(text);
  assert.ok(redo, `the server ran crash recovery:\n${text.slice(-2000)}`);
  console.log(
    `# crash recovery ${redo[1]} s (pg_ctl's wait scaled to 1 s); ready ${seconds.toFixed(1)} s after the start`,
  );
  assert.ok(Number(redo[1]) > 1, `recovery (${redo[1]} s) took longer than the scaled-down wait of 1 s`);
  assert.equal(psqlIn(name, "owner-pw-2", "SELECT count(*) FROM replay").stdout.trim(), "3000000");
  const restarts = docker(["inspect", "-f", "{{.RestartCount}}", name]);
  assert.equal(restarts, "0", "the container did not exit and restart during recovery");
});
