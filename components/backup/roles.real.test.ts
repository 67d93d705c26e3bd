// The least-privilege roles and password rotation (images/postgresql/ensure-roles) on a real
// PostgreSQL 15 with password (SCRAM) authentication for the roles: each role can do its job
// and no more, and changing a password rotates it while the application stays connected.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { asPostgres, startPostgres, type Postgres } from "../../test/support/postgres";
import { REPO_ROOT } from "../../test/support/stack-files";

const ENSURE = path.join(REPO_ROOT, "images", "postgresql", "ensure-roles");
const BIN = path.join(REPO_ROOT, "images", "backup", "bin");
let pg: Postgres;

const roles = (app: string) => ({
  APP_ROLE: "coreagent_app",
  APP_PASSWORD: app,
  MONITOR_ROLE: "monitor",
  MONITOR_PASSWORD: "monitor-pw-1",
  BACKUP_ROLE: "backup",
  BACKUP_PASSWORD: "backup-pw-1",
});

function ensure(env: Record<string, string>) {
  const r = spawnSync(ENSURE, [], { encoding: "utf8", env: { ...pg.env, PGDATABASE: "core_agent", ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

function as(user: string, password: string, sql: string) {
  return spawnSync("psql", ["-X", "-tA", "-v", "ON_ERROR_STOP=1", "-d", "core_agent", "-c", sql], {
    encoding: "utf8",
    env: { ...pg.env, PGUSER: user, PGPASSWORD: password },
  });
}

/** A long-lived application session: one psql reading statements from a pipe. */
function session(user: string, password: string) {
  const child: ChildProcessWithoutNullStreams = spawn("psql", ["-X", "-tA", "-d", "core_agent"], {
    env: { ...pg.env, PGUSER: user, PGPASSWORD: password },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return {
    async query(sql: string, marker: string): Promise<string> {
      out = "";
      child.stdin.write(`${sql}\nSELECT '${marker}';\n`);
      for (let i = 0; i < 100 && !out.includes(marker); i++) await new Promise((r) => setTimeout(r, 50));
      return out;
    },
    pid: child.pid,
    close: () => child.stdin.end(),
  };
}

before(async () => {
  pg = await startPostgres();
  pg.psql("postgres", "CREATE DATABASE core_agent");
  pg.psql("core_agent", "CREATE TABLE items (id serial PRIMARY KEY, name text)");
  // Password authentication for the three roles (the superuser keeps the test's trust).
  const hba = path.join(pg.data, "pg_hba.conf");
  const rule = "host all coreagent_app,monitor,backup 127.0.0.1/32 scram-sha-256\n";
  const current = spawnSync("cat", [hba], { encoding: "utf8" }).stdout;
  fs.writeFileSync(hba, rule + current);
  pg.psql("postgres", "SELECT pg_reload_conf()");
});

after(() => pg?.stop());

test("each role can do its job and no more", () => {
  ensure(roles("app-pw-1"));
  assert.equal(as("coreagent_app", "app-pw-1", "INSERT INTO items (name) VALUES ('a') RETURNING id").status, 0);
  assert.equal(as("coreagent_app", "wrong", "SELECT 1").status, 2, "a wrong password is refused");
  assert.notEqual(
    as("coreagent_app", "app-pw-1", "CREATE ROLE sneaky").status,
    0,
    "the application cannot create roles",
  );
  const mon = as("monitor", "monitor-pw-1", "SELECT count(*) > 0 FROM pg_stat_activity WHERE query IS NOT NULL");
  assert.equal(mon.stdout.trim(), "t", mon.stderr);
  assert.notEqual(as("monitor", "monitor-pw-1", "SELECT * FROM items").status, 0, "monitoring reads no table data");
  assert.equal(as("backup", "backup-pw-1", "SELECT count(*) FROM items").stdout.trim(), "1");
  assert.notEqual(as("backup", "backup-pw-1", "DELETE FROM items").status, 0, "the backup role cannot write");
  assert.equal(as("backup", "backup-pw-1", "SELECT pg_create_restore_point('t') IS NOT NULL").stdout.trim(), "t");
  // Not in the server log: the statements of ensure-roles carry no password in plain text.
  assert.doesNotMatch(ensure(roles("app-pw-1")).stderr, /app-pw-1/);
});

test("changing the application's password rotates it while the application stays connected", async () => {
  const app = session("coreagent_app", "app-pw-1");
  try {
    assert.match(await app.query("INSERT INTO items (name) VALUES ('before') RETURNING name;", "ok-1"), /before/);
    ensure(roles("app-pw-2"));
    const afterRotation = await app.query("INSERT INTO items (name) VALUES ('after') RETURNING name;", "ok-2");
    assert.match(afterRotation, /after/, `the open session keeps working: ${afterRotation}`);
    assert.equal(as("coreagent_app", "app-pw-2", "SELECT count(*) FROM items").stdout.trim(), "3");
    assert.notEqual(as("coreagent_app", "app-pw-1", "SELECT 1").status, 0, "the old password no longer opens sessions");
    // Running it again with the same values changes nothing and keeps everyone in.
    ensure(roles("app-pw-2"));
    assert.match(await app.query("SELECT 'still';", "ok-3"), /still/);
  } finally {
    app.close();
  }
});

test("pgBackRest and the logical dump run as the backup role; a role without its grants cannot back up", async () => {
  const repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-roles-repo-"));
  fs.chmodSync(repoDir, 0o777);
  const repoEnv = {
    PGBACKREST_STANZA: "main",
    PGBACKREST_REPO1_PATH: repoDir,
    PGBACKREST_REPO1_RETENTION_FULL: "2",
    PGBACKREST_LOCK_PATH: path.join(repoDir, "lock"),
    PGBACKREST_LOG_PATH: path.join(repoDir, "log"),
    PGBACKREST_LOG_LEVEL_FILE: "off",
  };
  const server = await startPostgres({
    settings: {
      wal_level: "replica",
      archive_mode: "on",
      archive_command: "PGBACKREST_PG1_PATH=$PWD pgbackrest archive-push %p",
    },
    env: { ...process.env, ...repoEnv },
  });
  try {
    server.psql("postgres", "CREATE DATABASE core_agent");
    server.psql("core_agent", "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)");
    const r = spawnSync(ENSURE, [], {
      encoding: "utf8",
      env: { ...server.env, PGDATABASE: "core_agent", ...roles("x") },
    });
    assert.equal(r.status, 0, r.stderr);
    // The sidecar's settings (components/backup/pgbackrest.ts): the role's name and its password.
    const backupAs = (user: string, password: string, type: string) =>
      asPostgres([path.join(BIN, "pgbackrest-backup"), type], {
        ...process.env,
        ...repoEnv,
        BACKUP_NAME: "postgres-pitr",
        TMPDIR: repoDir,
        PGBACKREST_PG1_PATH: server.data,
        PGBACKREST_PG1_PORT: String(server.port),
        PGBACKREST_PG1_SOCKET_PATH: server.dir,
        PGBACKREST_PG1_USER: user,
        // Function grants live in each database: pgBackRest connects to the one ensure-roles grants in.
        PGBACKREST_PG1_DATABASE: "core_agent",
        PGPASSWORD: password,
      });
    const ok = backupAs("backup", "backup-pw-1", "full");
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /backup \d{8}-\d{6}F done and verified/);
    const denied = backupAs("monitor", "monitor-pw-1", "incr");
    assert.notEqual(denied.status, 0, "the monitoring role cannot start a backup");
    assert.match(denied.stderr, /permission denied/);
    // The logical dump as the backup role (pg_read_all_data).
    const dump = spawnSync("pg_dump", ["-Fc", "-f", path.join(repoDir, "d.dump"), "core_agent"], {
      encoding: "utf8",
      env: { ...server.env, PGUSER: "backup", PGPASSWORD: "backup-pw-1" },
    });
    assert.equal(dump.status, 0, dump.stderr);
  } finally {
    server.stop();
    fs.rmSync(repoDir, { recursive: true, force: true });
  }
});
