// pgBackRest against a real S3 server (versitygw) for a generated database (default about 1 GB;
// `node dist/bench/pitr.js N`): full backup wall time and throughput (with check and verify)
// against a bare `pg_dump -Fc > /dev/null`, repository size, restore time to the latest point and
// to a timestamp (restore plus WAL replay until the server accepts connections), and the measured
// recovery point: seconds of acknowledged commits lost when the server and its volume are lost.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { asPostgres, freePort, PG_BIN, startPostgres } from "../test/support/postgres";
import { pgbackrestS3Env, startS3 } from "../test/support/s3";
import { REPO_ROOT } from "../test/support/stack-files";

const BIN = path.join(REPO_ROOT, "images", "backup", "bin");
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

export async function main(megabytes = 1024): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-bench-pitr-"));
  fs.chmodSync(work, 0o777);
  const s3 = await startS3();
  s3.createBucket("bench");
  const repo: NodeJS.ProcessEnv = {
    ...pgbackrestS3Env(s3, { bucket: "bench", path: "/pgbackrest/bench", cipherPass: "bench-cipher-pass", work }),
    PGBACKREST_COMPRESS_TYPE: "zst",
  };
  const pg = await startPostgres({
    settings: {
      wal_level: "replica",
      archive_mode: "on",
      archive_command: "PGBACKREST_PG1_PATH=$PWD pgbackrest archive-push %p",
      archive_timeout: "60",
    },
    env: { ...process.env, ...repo },
  });
  const env = {
    ...process.env,
    ...pg.env,
    ...repo,
    PATH: `${PG_BIN}:${process.env.PATH}`,
    PGDATABASE: "bench",
    BACKUP_NAME: "bench",
    TMPDIR: work,
    PGBACKREST_PG1_PATH: pg.data,
    PGBACKREST_PG1_PORT: String(pg.port),
    PGBACKREST_PG1_SOCKET_PATH: pg.dir,
  };
  const run = (label: string, args: string[]) => {
    const started = process.hrtime.bigint();
    const r = asPostgres(args, env);
    if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
    return seconds(started);
  };
  const restoreAndStart = async (target: string) => {
    const data = path.join(fs.mkdtempSync(path.join(work, "restore-")), "data");
    fs.chmodSync(path.dirname(data), 0o777);
    const started = process.hrtime.bigint();
    run("restore", [path.join(BIN, "pgbackrest-restore"), data, target]);
    const port = await freePort();
    run("start", [
      `${PG_BIN}/pg_ctl`,
      "-D",
      data,
      "-l",
      `${data}.log`,
      "-t",
      "3600",
      "-w",
      "-o",
      `-p ${port} -k ${path.dirname(data)} -c listen_addresses=127.0.0.1`,
      "start",
    ]);
    const q = (sql: string) =>
      asPostgres(["psql", "-X", "-tAc", sql, "-d", "bench"], { ...env, PGPORT: String(port) }).stdout.trim();
    for (let i = 0; i < 3600 && q("SELECT pg_is_in_recovery()") !== "f"; i++)
      await new Promise((r) => setTimeout(r, 250));
    const time = seconds(started);
    return { time, q, stop: () => asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"]) };
  };
  try {
    pg.psql("postgres", "CREATE DATABASE bench");
    const rows = Math.round((megabytes * 1024 * 1024) / 270);
    pg.psql(
      "bench",
      `CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, kind text, body text);
       INSERT INTO events SELECT g, now() - g * interval '1 second', 'kind-' || (g % 17), md5(g::text) || repeat(md5((g * 7)::text), 6) FROM generate_series(1, ${rows}) g;
       CREATE TABLE ticks (n bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp());`,
    );
    const bytes = Number(pg.psql("bench", "SELECT pg_database_size('bench')"));
    const mb = bytes / 1024 ** 2;
    const bare = run("pg_dump", ["bash", "-c", "pg_dump -Fc > /dev/null"]);
    const full = run("pgbackrest-backup", [path.join(BIN, "pgbackrest-backup"), "full"]);
    const repoBytes = Number(
      spawnSync("du", ["-sb", path.join(s3.root, "bench")], { encoding: "utf8" }).stdout.split("\t")[0],
    );
    const between = pg.psql("bench", "SELECT clock_timestamp()::text");
    pg.psql("bench", "INSERT INTO ticks (n) VALUES (0)");
    const latest = await restoreAndStart("latest");
    latest.stop();
    const pitr = await restoreAndStart(between);
    pitr.stop();

    // Recovery point: commits every 200 ms for 90 s, then the server and its volume are lost.
    const writer = spawn(
      "bash",
      [
        "-c",
        `for i in $(seq 1 450); do psql -X -qtAc "INSERT INTO ticks (n) VALUES ($i) RETURNING extract(epoch from at)" -d bench || exit 1; sleep 0.2; done`,
      ],
      { env },
    );
    let lastAck = 0;
    writer.stdout.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n")) if (line.trim()) lastAck = Number(line.trim());
    });
    await new Promise((r) => writer.on("exit", r));
    asPostgres([`${PG_BIN}/pg_ctl`, "-D", pg.data, "-m", "immediate", "-w", "stop"]);
    const survivor = await restoreAndStart("latest");
    const recovered = Number(survivor.q("SELECT extract(epoch from max(at)) FROM ticks"));
    survivor.stop();

    console.log(`\npgBackRest to S3 (versitygw, TLS, aes-256-cbc, zstd): database of ${mb.toFixed(0)} MB`);
    console.log(
      "pg_dump -Fc >/dev/null s  full backup+check+verify s  MB/s  ratio  repo MB  restore latest s  restore to time s  RPO s",
    );
    console.log(
      `${bare.toFixed(1).padStart(24)} ${full.toFixed(1).padStart(27)} ${(mb / full).toFixed(1).padStart(5)} ${(full / bare).toFixed(2).padStart(6)} ${(repoBytes / 1024 ** 2).toFixed(0).padStart(8)} ${latest.time.toFixed(1).padStart(17)} ${pitr.time.toFixed(1).padStart(18)} ${(lastAck - recovered).toFixed(1).padStart(6)}`,
    );
  } finally {
    pg.stop();
    await s3.remove();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(Number(process.argv[2] ?? 1024)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
