// A throwaway PostgreSQL cluster for the backup tests: initdb into a temporary directory, started
// on a free port on 127.0.0.1 as the `postgres` OS user, stopped and removed afterwards.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { requireTool } from "./tools";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface Postgres {
  port: number;
  /** The temporary directory (socket, log) and the data directory inside it. */
  dir: string;
  data: string;
  env: NodeJS.ProcessEnv;
  psql(db: string, sql: string): string;
  stop(): void;
}

/** Runs a command as the `postgres` OS user when the tests run as root (PostgreSQL refuses root). */
export function asPostgres(
  args: string[],
  env?: NodeJS.ProcessEnv,
): { status: number | null; stdout: string; stderr: string } {
  const isRoot = process.getuid?.() === 0;
  const [cmd, ...rest] = isRoot ? ["runuser", "-u", "postgres", "--", ...args] : args;
  return spawnSync(cmd, rest, { encoding: "utf8", env: env ?? process.env, maxBuffer: 64 * 1024 ** 2 });
}

export interface PostgresOptions {
  /** Extra server settings, passed as -c name=value. */
  settings?: Record<string, string>;
  /** Environment of the server process (e.g. PGBACKREST_* for archive_command). */
  env?: NodeJS.ProcessEnv;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  requireTool("pg_ctl", [`${PG_BIN}/pg_ctl`]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-pg-"));
  fs.chmodSync(dir, 0o777);
  const data = path.join(dir, "data");
  if (process.getuid?.() === 0) spawnSync("chown", ["postgres:postgres", dir]);
  const init = asPostgres([
    `${PG_BIN}/initdb`,
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C",
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const start = asPostgres(
    [
      `${PG_BIN}/pg_ctl`,
      "-D",
      data,
      "-l",
      path.join(dir, "log"),
      "-o",
      [`-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`]
        .concat(Object.entries(options.settings ?? {}).map(([k, v]) => `-c ${k}='${v}'`))
        .join(" "),
      "-w",
      "start",
    ],
    options.env,
  );
  if (start.status !== 0)
    throw new Error(`pg_ctl start failed: ${start.stderr}\n${fs.readFileSync(path.join(dir, "log"), "utf8")}`);
  const env = {
    ...process.env,
    PGHOST: "127.0.0.1",
    PGPORT: String(port),
    PGUSER: "postgres",
    PGPASSWORD: "unused-with-trust",
  };
  return {
    port,
    dir,
    data,
    env,
    psql(db, sql) {
      const r = spawnSync("psql", ["-v", "ON_ERROR_STOP=1", "-d", db, "-tAc", sql], { encoding: "utf8", env });
      if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
      return r.stdout.trim();
    },
    stop() {
      asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
