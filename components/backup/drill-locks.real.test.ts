// The restore drill's lock phase against a real PostgreSQL 15: while an open write transaction
// holds a table, the drill's SHARE lock request waits and queues every later write behind it.
// The drill must give up after its lock_timeout, fail with a message that says so, and leave no
// session of its own behind, so the writes it held up go on.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { startPostgres, type Postgres } from "../../test/support/postgres";
import { REPO_ROOT } from "../../test/support/stack-files";

const DRILL = path.join(REPO_ROOT, "images", "backup", "bin", "restore-drill");
let pg: Postgres;
let scratch: string;

interface Running {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<{ code: number | null; seconds: number }>;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Running {
  const started = Date.now();
  const child = spawn(cmd, args, { env });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; seconds: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, seconds: (Date.now() - started) / 1000 })),
  );
  if (input !== undefined) child.stdin.write(input);
  return { child, output: () => out, exited };
}

async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

/** Sessions of the drill on production: its own (by application_name) or any still in its LOCK statement. */
const drillSessions = () =>
  Number(
    pg.psql(
      "postgres",
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'restore-drill-%' OR query LIKE 'LOCK TABLE %'",
    ),
  );

before(async () => {
  pg = await startPostgres();
  pg.psql("postgres", "CREATE DATABASE core_agent");
  pg.psql("core_agent", "CREATE TABLE items (id int PRIMARY KEY); CREATE TABLE other (id int)");
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-drill-locks-"));
});

after(() => {
  pg?.stop();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

test("a drill that cannot get its SHARE locks gives up after lock_timeout and leaves no session holding up writes", async () => {
  const env = { ...pg.env, PGDATABASE: "core_agent" };
  // An application transaction that stays open: it holds ROW EXCLUSIVE on items.
  const holder = run("psql", ["-X", "-q", "-d", "core_agent"], env, "BEGIN; INSERT INTO items VALUES (1);\n");
  try {
    await until("the open write transaction", 10, () =>
      Number(pg.psql("postgres", "SELECT count(*) FROM pg_locks WHERE mode = 'RowExclusiveLock' AND granted")) > 0
        ? true
        : undefined,
    );
    const drill = run(DRILL, [], {
      ...env,
      BACKUP_NAME: "postgres",
      PGBACKREST_STANZA: "postgres",
      DRILL_DIR: scratch,
      TMPDIR: scratch,
      PUSHGATEWAY_URL: "",
    });
    // The drill's lock request is queued behind the open transaction ...
    await until("the drill waiting for its SHARE lock", 20, () =>
      Number(
        pg.psql(
          "postgres",
          "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LOCK TABLE %' AND wait_event_type = 'Lock'",
        ),
      ) > 0
        ? true
        : undefined,
    );
    // ... and a write that arrives now queues behind the drill's request.
    const writer = run(
      "psql",
      ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "core_agent", "-c", "INSERT INTO items VALUES (2)"],
      env,
    );
    const d = await drill.exited;
    assert.notEqual(d.code, 0, `the drill fails: ${drill.output()}`);
    assert.ok(
      d.seconds < 20,
      `the drill gave up after ${d.seconds.toFixed(1)} s (lock_timeout 5 s), not at its 60 s wait`,
    );
    assert.match(drill.output(), /lock timeout/, "the failure names the lock timeout");
    assert.match(drill.output(), /DRILL FAILED: could not hold the tables/);
    const w = await Promise.race([
      writer.exited,
      new Promise<{ code: number | null; seconds: number }>((resolve) =>
        setTimeout(() => resolve({ code: null, seconds: -1 }), 10_000),
      ),
    ]);
    assert.equal(w.code, 0, `the held-up write completed once the drill gave up: ${writer.output()}`);
    console.log(`# drill gave up after ${d.seconds.toFixed(1)} s; the queued write waited ${w.seconds.toFixed(1)} s`);
    assert.equal(drillSessions(), 0, "no session of the drill is left on production");
    writer.child.kill();
  } finally {
    holder.child.stdin.end("COMMIT;\n");
    await holder.exited;
  }
  assert.equal(pg.psql("core_agent", "SELECT count(*) FROM items"), "2");
});
