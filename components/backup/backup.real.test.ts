// The real backup scripts (images/backup/bin) against a real PostgreSQL and Redis started by
// the test: dump, checksum, restore and compare; a failing run; a corrupt dump; retention.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { freePort, startPostgres, type Postgres } from "../../test/support/postgres";
import { loadRepoStack, REPO_ROOT, STACKS } from "../../test/support/stack-files";
import { requireTool } from "../../test/support/tools";
import { shellLine } from "../../stacks/opsdocs/commands";
import { redisVersions } from "./images";
import { IN_CONTAINER, restoreProcedures } from "./restore";
import { backupsToKeep } from "../../test/support/retention-oracle";

const BIN = path.join(REPO_ROOT, "images", "backup", "bin");
let pg: Postgres;
let work: string;

before(async () => {
  pg = await startPostgres();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-backup-"));
  pg.psql("postgres", "CREATE DATABASE core_agent");
  pg.psql(
    "core_agent",
    `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, payload bytea);
     INSERT INTO items (name, payload) SELECT 'item ' || g, decode(md5(g::text), 'hex') FROM generate_series(1, 5000) g;
     CREATE TABLE events (at timestamptz NOT NULL, kind text);
     INSERT INTO events SELECT now() - g * interval '1 minute', 'kind-' || (g % 7) FROM generate_series(1, 2000) g;`,
  );
});

after(() => {
  pg?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function script(name: string, env: Record<string, string>, args: string[] = []) {
  return spawnSync(path.join(BIN, name), args, { encoding: "utf8", env: { ...pg.env, ...env } });
}

function metrics(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const m = /^([a-z_]+)\{[^}]*\} (\S+)$/.exec(line);
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

function fingerprint(db: string): string {
  return (
    pg.psql(db, "SELECT count(*) || ':' || md5(string_agg(i::text, ',' ORDER BY id)) FROM items i") +
    "|" +
    pg.psql(db, "SELECT count(*) || ':' || md5(string_agg(e::text, ',' ORDER BY e::text)) FROM events e")
  );
}

const backupDir = () => path.join(work, "backups");
const baseEnv = () => ({ BACKUP_DIR: backupDir(), BACKUP_NAME: "postgres", PGDATABASE: "core_agent", KEEP_LAST: "3" });
const dumps = () =>
  fs
    .readdirSync(backupDir())
    .filter((f) => /^postgres-\d{8}T\d{6}Z\.(dump|pgdir\.tar)$/.test(f))
    .sort();

test("backup-postgres writes a verified custom-format dump that restores to identical content", () => {
  const r = script("backup-postgres", baseEnv());
  assert.equal(r.status, 0, r.stderr);
  const [dump] = dumps();
  assert.ok(dump, "a dump was written");
  const check = spawnSync("sha256sum", ["--check", `${dump}.sha256`], { cwd: backupDir(), encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
  assert.equal(fs.readdirSync(backupDir()).filter((f) => f.startsWith(".tmp-")).length, 0, "no temporary left behind");
  const m = metrics(path.join(backupDir(), ".metrics", "postgres.prom"));
  assert.equal(m.backup_last_attempt_success, 1);
  assert.ok(m.backup_size_bytes > 1000);
  assert.ok(Math.abs(m.backup_last_success_timestamp_seconds - Date.now() / 1000) < 120);

  const restored = script("restore-postgres", {}, [path.join(backupDir(), dump), "scratch_restore"]);
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(fingerprint("scratch_restore"), fingerprint("core_agent"));
});

test("the directory format with parallel jobs restores too", () => {
  const r = script("backup-postgres", { ...baseEnv(), FORMAT: "directory", JOBS: "2" });
  assert.equal(r.status, 0, r.stderr);
  const dir = dumps().find((f) => f.endsWith(".pgdir.tar"));
  assert.ok(dir);
  const restored = script("restore-postgres", { JOBS: "2" }, [path.join(backupDir(), dir), "scratch_dir"]);
  assert.equal(restored.status, 0, restored.stderr);
  assert.equal(fingerprint("scratch_dir"), fingerprint("core_agent"));
});

test("the restore command the generated runbook prints restores the newest backup identically", () => {
  const config = loadRepoStack("dev");
  const here = { backupDir: backupDir(), binDir: BIN };
  const proc = restoreProcedures(config, here).find((p) => p.backup === "postgres")!;
  const listing = spawnSync(proc.list[0], proc.list.slice(1), { encoding: "utf8" });
  assert.equal(listing.status, 0, listing.stderr);
  assert.match(listing.stdout, /postgres-\d{8}T\d{6}Z\.dump\n/);
  const argv = proc.restoreNewest!("scratch_runbook");
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: pg.env });
  assert.equal(r.status, 0, r.stderr);
  const newest = dumps().at(-1)!;
  assert.match(r.stderr, new RegExp(`restoring ${newest.replace(/\./g, "\\.")} into scratch_runbook`));
  assert.equal(fingerprint("scratch_runbook"), fingerprint("core_agent"));

  // The runbook prints this same command with the image's locations, inside the backup job.
  const inImage = restoreProcedures(config).find((p) => p.backup === "postgres")!;
  const swap = (a: string) => a.split(backupDir()).join(IN_CONTAINER.backupDir).split(BIN).join(IN_CONTAINER.binDir);
  assert.deepEqual(argv.map(swap), inImage.restoreNewest!("scratch_runbook"));
  const runbook = fs.readFileSync(path.join(REPO_ROOT, "docs", "stacks", "dev", "RUNBOOK.md"), "utf8");
  assert.ok(
    runbook.includes(
      `docker exec ops-baseline-dev-postgres-backup ${shellLine(inImage.restoreNewest!(inImage.defaultTarget!))}\n`,
    ),
    "docs/stacks/dev/RUNBOOK.md prints the tested restore command",
  );

  // With no backup at all it refuses, naming the store and the directory.
  const empty = fs.mkdtempSync(path.join(work, "empty-"));
  const none = restoreProcedures(config, { backupDir: empty, binDir: BIN }).find((p) => p.backup === "postgres")!;
  const noneArgv = none.restoreNewest!("scratch_none");
  const refused = spawnSync(noneArgv[0], noneArgv.slice(1), { encoding: "utf8", env: pg.env });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, new RegExp(`no backup of postgres in ${empty}`));
  assert.equal(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'scratch_none'"), "0");
});

test("an unreachable server fails the run, records the failure and leaves earlier backups untouched", () => {
  const before = dumps().map((f) => [f, fs.readFileSync(path.join(backupDir(), f)).length]);
  const previous = metrics(path.join(backupDir(), ".metrics", "postgres.prom"));
  const r = script("backup-postgres", { ...baseEnv(), PGPORT: "1", PGCONNECT_TIMEOUT: "2" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /FAILED: pg_dump exited/);
  const after = dumps().map((f) => [f, fs.readFileSync(path.join(backupDir(), f)).length]);
  assert.deepEqual(after, before);
  const m = metrics(path.join(backupDir(), ".metrics", "postgres.prom"));
  assert.equal(m.backup_last_attempt_success, 0);
  assert.equal(
    m.backup_last_success_timestamp_seconds,
    previous.backup_last_success_timestamp_seconds,
    "the last success is kept",
  );
  assert.equal(fs.readdirSync(backupDir()).filter((f) => f.startsWith(".tmp-")).length, 0);
});

test("a corrupted dump fails verification and is not restored", () => {
  const dump = dumps().find((f) => f.endsWith(".dump"))!;
  const copy = path.join(work, "corrupt.dump");
  fs.copyFileSync(path.join(backupDir(), dump), copy);
  fs.writeFileSync(
    `${copy}.sha256`,
    fs.readFileSync(path.join(backupDir(), `${dump}.sha256`), "utf8").replace(dump, "corrupt.dump"),
  );
  const bytes = fs.readFileSync(copy);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  fs.writeFileSync(copy, bytes);
  const r = script("restore-postgres", {}, [copy, "scratch_corrupt"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /checksum of .*corrupt\.dump does not match/);
  assert.equal(pg.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = 'scratch_corrupt'"), "0");
});

test("backup-redis copies a snapshot with a checksum, with the Redis version every stack runs", async () => {
  const redisServer = requireTool("redis-server", ["/usr/bin/redis-server"]);
  // The server here is the version the stacks run and the backup image's tools are: a pairing
  // the plan guarantees (components/backup/images.ts), so this run is the prod pairing.
  const local = /v=(\d+\.\d+\.\d+)/.exec(spawnSync(redisServer, ["--version"], { encoding: "utf8" }).stdout)?.[1];
  for (const stack of STACKS) {
    for (const v of redisVersions(loadRepoStack(stack), REPO_ROOT)) {
      assert.equal(v.server, local, `${stack}: ${v.store} runs ${v.server} (${v.serverFrom}); here ${local}`);
      assert.equal(v.tools, local, `${stack}: the backup tools are ${v.tools}; here ${local}`);
    }
  }
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-redis-"));
  const server = spawn(
    redisServer,
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--requirepass", "pw", "--save", ""],
    { stdio: "ignore" },
  );
  try {
    for (let i = 0; i < 50; i++) {
      const ping = spawnSync("redis-cli", ["-p", String(port), "--no-auth-warning", "-a", "pw", "set", "k", "v"], {
        encoding: "utf8",
      });
      if (ping.stdout.includes("OK")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = script("backup-redis", {
      BACKUP_DIR: backupDir(),
      BACKUP_NAME: "redis",
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: String(port),
      REDISCLI_AUTH: "pw",
    });
    assert.equal(r.status, 0, r.stderr);
    const rdb = fs.readdirSync(backupDir()).find((f) => /^redis-.*\.rdb$/.test(f));
    assert.ok(rdb);
    assert.equal(spawnSync("sha256sum", ["--check", `${rdb}.sha256`], { cwd: backupDir() }).status, 0);
    // What a newer server's snapshot meets: the same file claiming the next RDB format (7.2
    // writes 11) is refused by this redis-check-rdb, so a version mismatch fails every backup.
    const snapshot = fs.readFileSync(path.join(backupDir(), rdb));
    const format = Number(snapshot.subarray(5, 9).toString());
    assert.ok(format >= 10, `RDB format ${format}`);
    const newer = path.join(dir, "newer.rdb");
    fs.writeFileSync(
      newer,
      Buffer.concat([Buffer.from(`REDIS${String(format + 1).padStart(4, "0")}`), snapshot.subarray(9)]),
    );
    const check = spawnSync("redis-check-rdb", [newer], { encoding: "utf8" });
    assert.notEqual(check.status, 0, check.stdout);
    assert.match(check.stdout, new RegExp(`Can't handle RDB format version ${format + 1}`));
    const wrong = script("backup-redis", {
      BACKUP_DIR: backupDir(),
      BACKUP_NAME: "redis",
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: String(port),
      REDISCLI_AUTH: "wrong",
    });
    assert.notEqual(wrong.status, 0, "a wrong password fails the run");
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the script's pruning keeps exactly what the retention rule keeps, on a synthetic history", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-retention-"));
  try {
    const files: string[] = [];
    // 400 days of history: two backups most days, gaps on some, around year and week boundaries.
    const start = Date.UTC(2025, 9, 20, 2, 30, 0);
    for (let day = 0; day < 400; day++) {
      if (day % 9 === 4) continue;
      for (const hour of day % 3 === 0 ? [0, 14] : [0]) {
        const t = new Date(start + day * 86400000 + hour * 3600000);
        const ts = t
          .toISOString()
          .replace(/[-:]/g, "")
          .replace(/\.\d+Z$/, "Z");
        const name = `postgres-${ts}.dump`;
        files.push(name);
        fs.writeFileSync(path.join(dir, name), "x");
        fs.writeFileSync(path.join(dir, `${name}.sha256`), "x");
      }
    }
    fs.writeFileSync(path.join(dir, "postgres-unfinished.dump"), "no checksum: not a complete backup");
    const retention = { keepLast: 5, keepDaily: 14, keepWeekly: 8, keepMonthly: 12 };
    const r = spawnSync("bash", ["-c", `. "${BIN}/lib.sh" && prune`], {
      encoding: "utf8",
      env: {
        ...process.env,
        BACKUP_DIR: dir,
        BACKUP_NAME: "postgres",
        KEEP_LAST: String(retention.keepLast),
        KEEP_DAILY: String(retention.keepDaily),
        KEEP_WEEKLY: String(retention.keepWeekly),
        KEEP_MONTHLY: String(retention.keepMonthly),
      },
    });
    assert.equal(r.status, 0, r.stderr);
    const survivors = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".dump") && f !== "postgres-unfinished.dump")
      .sort();
    const expected = [...backupsToKeep(files, retention)].sort();
    assert.deepEqual(survivors, expected);
    assert.ok(expected.length > 20 && expected.length < 40, `${expected.length} kept`);
    for (const f of survivors) assert.ok(fs.existsSync(path.join(dir, `${f}.sha256`)), `${f} keeps its checksum`);
    assert.ok(fs.existsSync(path.join(dir, "postgres-unfinished.dump")), "files without a checksum are not touched");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
