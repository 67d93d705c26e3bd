// Backup and restore of a generated database (default about 1 GB; `npm run bench -- --backup-mb N`
// or `node dist/bench/backup.js N`): the backup script's time as a ratio to a bare
// `pg_dump -Fc > /dev/null`, the restore time and the dump size, for the custom format and for
// the directory format with parallel jobs.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPostgres } from "../test/support/postgres";
import { REPO_ROOT } from "../test/support/stack-files";

const BIN = path.join(REPO_ROOT, "images", "backup", "bin");

function timed(label: string, command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, {
    env,
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
    maxBuffer: 64 * 1024 ** 2,
  });
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export async function main(megabytes = 1024): Promise<void> {
  const pg = await startPostgres();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-bench-backup-"));
  try {
    pg.psql("postgres", "CREATE DATABASE bench");
    // ~270 bytes per row on disk: rows = MB * 1024 * 1024 / 270.
    const rows = Math.round((megabytes * 1024 * 1024) / 270);
    const seeded = process.hrtime.bigint();
    pg.psql(
      "bench",
      `CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, kind text, body text);
       INSERT INTO events SELECT g, now() - g * interval '1 second', 'kind-' || (g % 17), md5(g::text) || repeat(md5((g * 7)::text), 6) FROM generate_series(1, ${rows}) g;`,
    );
    const size = Number(pg.psql("bench", "SELECT pg_database_size('bench')"));
    console.log(
      `\nbackup benchmark: database of ${(size / 1024 ** 2).toFixed(0)} MB (${rows} rows, seeded in ${(Number(process.hrtime.bigint() - seeded) / 1e9).toFixed(0)} s)`,
    );
    const env = {
      ...pg.env,
      PGDATABASE: "bench",
      BACKUP_NAME: "bench",
      BACKUP_DIR: path.join(dir, "backups"),
      KEEP_LAST: "10",
    };
    const bare = timed("pg_dump", "bash", ["-c", "pg_dump -Fc > /dev/null"], env);
    console.log("format     bare pg_dump s  backup s  ratio  dump MB  restore s");
    for (const [format, jobs] of [
      ["custom", "1"],
      ["directory", "2"],
    ]) {
      const backup = timed("backup-postgres", path.join(BIN, "backup-postgres"), [], {
        ...env,
        FORMAT: format,
        JOBS: jobs,
      });
      const file = fs
        .readdirSync(env.BACKUP_DIR)
        .filter((f) => f.endsWith(format === "custom" ? ".dump" : ".pgdir.tar"))
        .sort()
        .pop()!;
      const bytes = fs.statSync(path.join(env.BACKUP_DIR, file)).size;
      const restore = timed(
        "restore-postgres",
        path.join(BIN, "restore-postgres"),
        [path.join(env.BACKUP_DIR, file), `restored_${format}`],
        { ...env, JOBS: jobs },
      );
      const label = format === "custom" ? "custom" : `dir -j${jobs}`;
      console.log(
        `${label.padEnd(10)} ${bare.toFixed(1).padStart(14)} ${backup.toFixed(1).padStart(9)} ${(backup / bare).toFixed(2).padStart(6)} ${(bytes / 1024 ** 2).toFixed(0).padStart(8)} ${restore.toFixed(1).padStart(10)}`,
      );
    }
  } finally {
    pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(Number(process.argv[2] ?? 1024)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
