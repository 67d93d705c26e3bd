// Point-in-time recovery with the real parts: PostgreSQL 15 archiving WAL with pgBackRest into a
// real S3 server (versitygw), the backup, restore and drill scripts of images/backup/bin, run as
// the `postgres` OS user as in the image. What is simulated: the Pushgateway (a Node HTTP server
// that records pushes) and the network (everything on 127.0.0.1).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { asPostgres, freePort, PG_BIN, startPostgres, type Postgres } from "../../test/support/postgres";
import { metricsOf, startPushRecorder, type PushRecorder } from "../../test/support/pushgateway";
import { pgbackrestS3Env, startS3, type S3Server } from "../../test/support/s3";
import { REPO_ROOT } from "../../test/support/stack-files";
import { requireTool } from "../../test/support/tools";

const BIN = path.join(REPO_ROOT, "images", "backup", "bin");
const BUCKET = "ops-baseline-backups";
let s3: S3Server;
let pg: Postgres;
let work: string;
let pushgateway: PushRecorder;

function repoEnv(): NodeJS.ProcessEnv {
  return {
    ...pgbackrestS3Env(s3, {
      bucket: BUCKET,
      path: "/pgbackrest/postgres",
      cipherPass: "test-cipher-pass-not-secret",
      work,
    }),
    PGBACKREST_REPO1_RETENTION_FULL: "2",
    PGBACKREST_ARCHIVE_TIMEOUT: "30",
  };
}

function pgEnv(server: Postgres): NodeJS.ProcessEnv {
  return {
    PGBACKREST_PG1_PATH: server.data,
    PGBACKREST_PG1_PORT: String(server.port),
    PGBACKREST_PG1_SOCKET_PATH: server.dir,
    PGBACKREST_PG1_USER: "postgres",
  };
}

/** A script of images/backup/bin, run as the postgres user like the image's uid 999. */
function script(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return asPostgres([path.join(BIN, name), ...args], {
    ...process.env,
    PATH: `${PG_BIN}:${process.env.PATH}`,
    ...pg.env,
    ...repoEnv(),
    ...pgEnv(pg),
    BACKUP_NAME: "postgres",
    TMPDIR: work,
    PUSHGATEWAY_URL: pushgateway.url,
    ...env,
  });
}

const pushes = () => pushgateway.pushes();
const clearPushes = () => pushgateway.clear();

/** A second PostgreSQL on a restored data directory, on its own port and socket. */
async function startRestored(data: string) {
  const port = await freePort();
  const r = asPostgres(
    [
      `${PG_BIN}/pg_ctl`,
      "-D",
      data,
      "-l",
      path.join(path.dirname(data), "log"),
      "-o",
      `-p ${port} -k ${path.dirname(data)} -c listen_addresses=127.0.0.1`,
      "-w",
      "-t",
      "120",
      "start",
    ],
    { ...process.env, ...repoEnv() },
  );
  assert.equal(r.status, 0, `${r.stderr}\n${fs.readFileSync(path.join(path.dirname(data), "log"), "utf8")}`);
  const env = { ...pg.env, PGPORT: String(port) };
  const psql = (sql: string) => {
    const q = asPostgres(["psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-d", "core_agent", "-c", sql], env);
    assert.equal(q.status, 0, q.stderr);
    return q.stdout.trim();
  };
  for (let i = 0; i < 240 && psql("SELECT pg_is_in_recovery()") !== "f"; i++) await sleep(500);
  return {
    psql,
    stop: () => asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"]),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function newDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(work, `${name}-`));
  fs.chmodSync(dir, 0o777);
  return path.join(dir, "data");
}

/** Forces the current WAL segment out and waits until the archiver has shipped it. */
async function archiveNow() {
  const segment = pg.psql("postgres", "SELECT pg_walfile_name(pg_switch_wal())");
  for (let i = 0; i < 120; i++) {
    const last = pg.psql("postgres", "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
    if (last >= segment) return;
    await sleep(250);
  }
  throw new Error(`segment ${segment} was not archived`);
}

before(async () => {
  requireTool("pgbackrest");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-pitr-"));
  fs.chmodSync(work, 0o777);
  s3 = await startS3();
  s3.createBucket(BUCKET);
  pushgateway = await startPushRecorder(work);
  // The server archives through the same PGBACKREST_* environment the image sets.
  pg = await startPostgres({
    settings: {
      wal_level: "replica",
      archive_mode: "on",
      // The image sets PGBACKREST_PG1_PATH=$PGDATA; the archiver runs in the data directory.
      archive_command: "PGBACKREST_PG1_PATH=$PWD pgbackrest archive-push %p",
      archive_timeout: "60",
      max_wal_senders: "3",
    },
    env: { ...process.env, ...repoEnv() },
  });
  pg.psql("postgres", "CREATE DATABASE core_agent");
  pg.psql(
    "core_agent",
    `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, payload bytea);
     INSERT INTO items (name, payload) SELECT 'item ' || g, decode(md5(g::text), 'hex') FROM generate_series(1, 5000) g;
     CREATE TABLE events (at timestamptz NOT NULL, kind text);
     INSERT INTO events SELECT now() - g * interval '1 minute', 'kind-' || (g % 7) FROM generate_series(1, 2000) g;`,
  );
});

after(async () => {
  pg?.stop();
  await s3?.remove();
  pushgateway?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("a full backup to S3 passes check and verify, is encrypted, and records its metrics", () => {
  const r = script("pgbackrest-backup", ["full"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /backup \d{8}-\d{6}F done and verified/);
  const m = metricsOf(path.join(work, ".metrics", "postgres.prom"));
  assert.equal(m.backup_last_attempt_success, 1);
  assert.ok(m.backup_size_bytes > 0);
  assert.ok(
    pushes().some(
      (p) =>
        p.url === "/metrics/job/backup/backup/postgres" &&
        /backup_last_attempt_success\{backup="postgres"\} 1/.test(p.body),
    ),
  );
  // The repository is encrypted: no table content in any object the S3 server stores.
  const grep = asPostgres(["grep", "-r", "-l", "-a", "item 4999", path.join(s3.root, BUCKET)]);
  assert.equal(grep.status, 1, `plain text found in ${grep.stdout}`);
  assert.ok(fs.existsSync(path.join(s3.root, BUCKET, "pgbackrest", "postgres", "backup", "main", "backup.info")));
});

let between = "";

test("point-in-time restore lands between two committed writes: the first present, the second absent", async () => {
  pg.psql("core_agent", "CREATE TABLE marks (name text PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())");
  pg.psql("core_agent", "INSERT INTO marks (name) VALUES ('first')");
  await sleep(1100);
  between = pg.psql("postgres", "SELECT clock_timestamp()::text");
  await sleep(1100);
  pg.psql("core_agent", "INSERT INTO marks (name) VALUES ('second')");
  await archiveNow();

  const data = newDir("pitr");
  const r = script("pgbackrest-restore", [data, between]);
  assert.equal(r.status, 0, r.stderr);
  const copy = await startRestored(data);
  try {
    assert.equal(copy.psql("SELECT string_agg(name, ',' ORDER BY name) FROM marks"), "first");
    assert.equal(copy.psql("SELECT count(*) FROM items"), "5000");
    assert.equal(copy.psql("SHOW archive_mode"), "off", "a restored copy never archives into the repository");
  } finally {
    copy.stop();
  }

  const latest = newDir("latest");
  const l = script("pgbackrest-restore", [latest, "latest"]);
  assert.equal(l.status, 0, l.stderr);
  const newest = await startRestored(latest);
  try {
    assert.equal(newest.psql("SELECT string_agg(name, ',' ORDER BY name) FROM marks"), "first,second");
  } finally {
    newest.stop();
  }
  const refused = script("pgbackrest-restore", [latest, "latest"]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /is not empty/);
});

test("the restore drill restores into its own throwaway server and matches production at the restore point", () => {
  clearPushes();
  const liveBefore = pg.psql("core_agent", "SELECT count(*) FROM items");
  const r = script("restore-drill", [], { PGDATABASE: "core_agent", PGUSER: "postgres" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /drill passed: restored to drill-\d{8}T\d{6}Z; 3 tables identical to core_agent/);
  assert.equal(pg.psql("core_agent", "SELECT count(*) FROM items"), liveBefore, "production untouched");
  assert.equal(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE '%drill%'"), "0");
  const pushed = pushes().find((p) => p.url === "/metrics/job/restore_drill/backup/postgres");
  assert.ok(pushed, "the drill pushes its own metrics");
  assert.match(pushed.body, /restore_drill_last_attempt_success\{backup="postgres"\} 1/);
  assert.deepEqual(
    fs.readdirSync(work).filter((f) => f.startsWith("restore-drill.")),
    [],
    "the throwaway server is removed",
  );
});

test("the drill fails and reports it when the restored copy differs", () => {
  clearPushes();
  const r = script("restore-drill", [], {
    PGDATABASE: "core_agent",
    PGUSER: "postgres",
    DRILL_FAULT_SQL: "UPDATE items SET name = 'changed' WHERE id = 17",
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /DRILL FAILED: the copy restored to drill-\S+ differs from core_agent/);
  assert.match(r.stderr, /public\.items 5000/);
  const pushed = pushes().find((p) => p.url === "/metrics/job/restore_drill/backup/postgres");
  assert.match(pushed?.body ?? "", /restore_drill_last_attempt_success\{backup="postgres"\} 0/);
});

test("an unreachable object store fails the backup, raises the failure metric and leaves earlier backups intact", async () => {
  const infoBefore = asPostgres(["pgbackrest", "--output=json", "info"], { ...process.env, ...repoEnv() });
  assert.equal(infoBefore.status, 0, infoBefore.stderr);
  const labelsBefore = JSON.parse(infoBefore.stdout)[0].backup.map((b: { label: string }) => b.label);
  await s3.stop();
  try {
    const r = script("pgbackrest-backup", ["incr"], { PGBACKREST_IO_TIMEOUT: "5", PGBACKREST_DB_TIMEOUT: "10" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /FAILED: /);
    const m = metricsOf(path.join(work, ".metrics", "postgres.prom"));
    assert.equal(m.backup_last_attempt_success, 0);
  } finally {
    await s3.start();
  }
  const infoAfter = asPostgres(["pgbackrest", "--output=json", "info"], { ...process.env, ...repoEnv() });
  assert.equal(infoAfter.status, 0, infoAfter.stderr);
  assert.deepEqual(
    JSON.parse(infoAfter.stdout)[0].backup.map((b: { label: string }) => b.label),
    labelsBefore,
  );
  const ok = script("pgbackrest-backup", ["incr"]);
  assert.equal(ok.status, 0, ok.stderr);
});

test("verify detects a corrupted backup file and a lost WAL segment in the repository", () => {
  const clean = asPostgres([path.join(BIN, "pgbackrest-verify")], { ...process.env, ...repoEnv() });
  assert.equal(clean.status, 0, `an intact repository verifies:\n${clean.stderr}`);
  const repo = path.join(s3.root, BUCKET, "pgbackrest", "postgres");
  const files = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const backupFile = files(path.join(repo, "backup", "main"))
    .filter((f) => /\/pg_data\/base\/\d+\/\d+(\.\w+)?$/.test(f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  assert.ok(backupFile, "a data file of a backup");
  const original = fs.readFileSync(backupFile);
  const damaged = Buffer.from(original);
  damaged[Math.floor(damaged.length / 2)] ^= 0xff;
  fs.writeFileSync(backupFile, damaged);
  try {
    const r = asPostgres([path.join(BIN, "pgbackrest-verify")], { ...process.env, ...repoEnv() });
    assert.notEqual(r.status, 0, `verify passed a damaged file:\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /checksum invalid: 1/);
  } finally {
    fs.writeFileSync(backupFile, original);
  }
  const wal = files(path.join(repo, "archive", "main"))
    .filter((f) => /\/[0-9A-F]{24}-[0-9a-f]{40}/.test(f))
    .sort();
  assert.ok(wal.length >= 4, `${wal.length} WAL segments archived`);
  // Not the newest: a segment with a successor, needed to replay past it.
  const lost = wal[wal.length - 2];
  const saved = fs.readFileSync(lost);
  fs.rmSync(lost);
  try {
    const r = asPostgres([path.join(BIN, "pgbackrest-verify")], { ...process.env, ...repoEnv() });
    assert.notEqual(r.status, 0, `verify passed a gap in WAL:\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /WAL archive has a gap: missing WAL after [0-9A-F]{24}/);
  } finally {
    fs.writeFileSync(lost, saved);
  }
});
