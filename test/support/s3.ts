// A real S3 server for the backup tests: versitygw (built by toolchain/versitygw.sh from the Go
// module proxy) serving buckets from a temporary directory with its posix backend, over TLS with a
// self-signed certificate for localhost (pgBackRest speaks S3 only over TLS and matches host
// names, not IP addresses, against the certificate).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./postgres";
import { REPO_ROOT } from "./stack-files";

export interface S3Server {
  endpoint: string;
  host: string;
  port: number;
  accessKey: string;
  secretKey: string;
  /** PEM certificate the clients trust. */
  caFile: string;
  /** The directory holding the buckets (one subdirectory per bucket). */
  root: string;
  createBucket(name: string): void;
  /** Stops the server (the data stays) to simulate an unreachable object store. */
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

export function versitygwBinary(): string {
  const r = spawnSync("bash", [path.join(REPO_ROOT, "toolchain", "versitygw.sh"), "--print"], { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error("versitygw is not built; run: bash scripts/setup.sh (or bash toolchain/versitygw.sh)");
  return r.stdout.trim();
}

async function listening(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`versitygw did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startS3(): Promise<S3Server> {
  const bin = versitygwBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-s3-"));
  fs.chmodSync(dir, 0o755);
  const root = path.join(dir, "buckets");
  fs.mkdirSync(root);
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  const ssl = spawnSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"].concat([
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ]),
    { encoding: "utf8" },
  );
  if (ssl.status !== 0) throw new Error(`openssl: ${ssl.stderr}`);
  fs.chmodSync(key, 0o644);
  fs.chmodSync(cert, 0o644);
  const port = await freePort();
  const accessKey = "ops-baseline-test";
  const secretKey = "ops-baseline-test-secret-key";
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(bin, ["--port", `127.0.0.1:${port}`, "--cert", cert, "--key", key, "posix", root], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ROOT_ACCESS_KEY: accessKey, ROOT_SECRET_KEY: secretKey },
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
      await listening(port, Date.now() + 15000);
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${stderr}`);
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
    });
  };
  await start();
  return {
    endpoint: `https://localhost:${port}`,
    host: "localhost",
    port,
    accessKey,
    secretKey,
    caFile: cert,
    root,
    createBucket(name) {
      fs.mkdirSync(path.join(root, name), { recursive: true });
    },
    stop,
    start,
    async remove() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The environment that points pgBackRest at an encrypted repository in a bucket of this server
 * (path-style, trusting its certificate), with its lock and log files under `work`.
 */
export function pgbackrestS3Env(
  s3: S3Server,
  repo: { bucket: string; path: string; cipherPass: string; work: string },
): NodeJS.ProcessEnv {
  return {
    PGBACKREST_STANZA: "main",
    PGBACKREST_REPO1_TYPE: "s3",
    PGBACKREST_REPO1_PATH: repo.path,
    PGBACKREST_REPO1_S3_BUCKET: repo.bucket,
    PGBACKREST_REPO1_S3_ENDPOINT: s3.host,
    PGBACKREST_REPO1_STORAGE_PORT: String(s3.port),
    PGBACKREST_REPO1_S3_REGION: "us-east-1",
    PGBACKREST_REPO1_S3_URI_STYLE: "path",
    PGBACKREST_REPO1_S3_KEY: s3.accessKey,
    PGBACKREST_REPO1_S3_KEY_SECRET: s3.secretKey,
    PGBACKREST_REPO1_STORAGE_CA_FILE: s3.caFile,
    PGBACKREST_REPO1_CIPHER_TYPE: "aes-256-cbc",
    PGBACKREST_REPO1_CIPHER_PASS: repo.cipherPass,
    PGBACKREST_LOCK_PATH: `${repo.work}/lock`,
    PGBACKREST_LOG_PATH: `${repo.work}/log`,
    PGBACKREST_LOG_LEVEL_FILE: "off",
  };
}
