// Volume backups with the real parts: restic (Debian's 0.14) into a real S3 server (versitygw,
// the same environment as the PITR test), driven by restic-backup / restic-restore with the
// environment the plan gives the volume's backup job (components/backup/restic.ts), run as an
// unprivileged user like the image. Simulated: the Pushgateway (a process that records pushes)
// and the network (127.0.0.1).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { asPostgres } from "../../test/support/postgres";
import { metricsOf, startPushRecorder, type PushRecorder } from "../../test/support/pushgateway";
import { startS3, type S3Server } from "../../test/support/s3";
import { loadRepoStack, REPO_ROOT } from "../../test/support/stack-files";
import { requireTool } from "../../test/support/tools";
import { restoreProcedures } from "./restore";
import { resticEnv } from "./restic";

const BIN = path.join(REPO_ROOT, "images", "backup", "bin");
const BUCKET = "ops-baseline-backups";
const NAME = "api-logs";
let s3: S3Server;
let work: string;
let source: string;
let pushgateway: PushRecorder;
let jobEnv: NodeJS.ProcessEnv;

/** The volume backup job's environment from the prod plan, its repository on the test server. */
function planEnv(): NodeJS.ProcessEnv {
  const config = loadRepoStack("prod");
  const repo = config.backup.pitr.repository;
  assert.equal(repo.type, "s3");
  config.backup.pitr.repository = {
    ...repo,
    endpoint: "localhost",
    port: s3.port,
    bucket: BUCKET,
    region: "us-east-1",
    uriStyle: "path",
  };
  const { env, secretEnv } = resticEnv(config, NAME);
  const secrets: Record<string, string> = {
    RESTIC_PASSWORD: "test-restic-password-not-secret",
    AWS_ACCESS_KEY_ID: s3.accessKey,
    AWS_SECRET_ACCESS_KEY: s3.secretKey,
  };
  assert.deepEqual(secretEnv.map((s) => s.name).sort(), Object.keys(secrets).sort(), "the job's secrets");
  return { ...env, ...secrets, RESTIC_CACERT: s3.caFile, KEEP_LAST: "2", KEEP_DAILY: "0", RESTIC_CHECK_SUBSET: "100%" };
}

function script(name: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return asPostgres([path.join(BIN, name), ...args], {
    PATH: process.env.PATH,
    HOME: work,
    TMPDIR: work,
    BACKUP_NAME: NAME,
    SOURCE_DIR: source,
    PUSHGATEWAY_URL: pushgateway.url,
    ...jobEnv,
    ...env,
  });
}

function snapshots(): string[] {
  const r = asPostgres(
    ["restic", "--no-cache", "--cacert", s3.caFile, "-o", "s3.bucket-lookup=path", "--json", "snapshots"],
    { PATH: process.env.PATH, HOME: work, ...jobEnv },
  );
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { id: string }[]).map((s) => s.id).sort();
}

const metrics = () => metricsOf(path.join(work, ".metrics", `${NAME}.prom`));
const sha = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

before(async () => {
  requireTool("restic");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-restic-"));
  fs.chmodSync(work, 0o777);
  source = path.join(work, "logs");
  fs.mkdirSync(source, { mode: 0o777 });
  // Closed, rotated logs (random content: nothing to deduplicate or compress away).
  for (let i = 1; i <= 4; i++) fs.writeFileSync(path.join(source, `api.log.${i}`), crypto.randomBytes(3 * 1024 ** 2));
  fs.writeFileSync(path.join(source, "api.log"), "start\n");
  fs.chmodSync(source, 0o777);
  s3 = await startS3();
  s3.createBucket(BUCKET);
  pushgateway = await startPushRecorder(work);
  jobEnv = planEnv();
});

after(async () => {
  pushgateway?.stop();
  await s3?.remove();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("a log volume written during the backup: the run passes, closed files restore byte for byte, the active file as a prefix", async () => {
  const active = path.join(source, "api.log");
  // A writer appending lines as fast as it can for the whole run.
  const writer = spawn(
    "bash",
    ["-c", `i=0; while :; do i=$((i+1)); printf 'line %08d %s\\n' $i "$(date +%s%N)" >> "$1"; done`, "writer", active],
    { stdio: "ignore" },
  );
  // And rotation churn: files created and removed all the time, so some vanish between restic's
  // listing and its read (accepted: they are gone; whether the race hits varies per run).
  const churn = path.join(source, "churn");
  fs.mkdirSync(churn, { mode: 0o777 });
  const rotator = spawn(
    "bash",
    [
      "-c",
      `i=0; while :; do i=$((i+1)); echo "$i" > "$1/api.log.$i"; rm -f "$1/api.log.$((i-20))"; done`,
      "rotator",
      churn,
    ],
    { stdio: "ignore" },
  );
  await new Promise((r) => setTimeout(r, 300));
  const r = script("restic-backup");
  for (const child of [writer, rotator]) {
    child.kill();
    await new Promise((r) => child.once("exit", r));
  }
  fs.rmSync(churn, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /initialised the repository/);
  assert.match(r.stderr, /backup [0-9a-f]{8} done, pruned and checked \(read 100% of the packs\)/);
  const m = metrics();
  assert.equal(m.backup_last_attempt_success, 1);
  assert.ok(m.backup_size_bytes >= 12 * 1024 ** 2, `${m.backup_size_bytes} bytes`);
  assert.ok(
    pushgateway
      .pushes()
      .some(
        (p) =>
          p.url === `/metrics/job/backup/backup/${NAME}` &&
          /backup_last_attempt_success\{backup="api-logs"\} 1/.test(p.body),
      ),
  );
  // Encrypted: no object in the bucket holds a line of the log in clear.
  const grep = asPostgres(["grep", "-r", "-l", "-a", "line 0000", path.join(s3.root, BUCKET)]);
  assert.equal(grep.status, 1, `plain text found in ${grep.stdout}`);

  // The runbook's restore command for this volume, run as printed (binDir -> the checkout).
  const config = loadRepoStack("dev");
  const proc = restoreProcedures(config, { backupDir: work, binDir: BIN }).find((p) => p.backup === NAME);
  assert.ok(proc?.restoreNewest && proc.defaultTarget, "the volume has a restore command");
  const [cmd, ...args] = proc.restoreNewest(proc.defaultTarget);
  const restored = asPostgres([cmd, ...args], { PATH: process.env.PATH, HOME: work, BACKUP_NAME: NAME, ...jobEnv });
  assert.equal(restored.status, 0, restored.stderr);
  const target = proc.defaultTarget;
  assert.deepEqual(
    fs
      .readdirSync(target)
      .filter((f) => f !== "churn")
      .sort(),
    fs.readdirSync(source).sort(),
  );
  for (let i = 1; i <= 4; i++)
    assert.equal(sha(path.join(target, `api.log.${i}`)), sha(path.join(source, `api.log.${i}`)), `api.log.${i}`);
  const copy = fs.readFileSync(path.join(target, "api.log"), "utf8");
  const now = fs.readFileSync(active, "utf8");
  assert.ok(copy.split("\n").length > 2, "the active file was being written during the backup");
  assert.ok(now.startsWith(copy), "the active file's copy is a prefix of what it holds now");
  assert.ok(/\n$/.test(copy) || now.length > copy.length, "a copy ends at a line or within the file");

  const again = asPostgres([cmd, ...args], { PATH: process.env.PATH, HOME: work, BACKUP_NAME: NAME, ...jobEnv });
  assert.notEqual(again.status, 0, "a non-empty target is refused");
  assert.match(again.stderr, /is not empty/);
});

test("a file the backup cannot read fails the run (only files that vanished are accepted)", () => {
  const secret = path.join(source, "unreadable.log");
  fs.writeFileSync(secret, "root only\n", { mode: 0o600 });
  try {
    const r = script("restic-backup");
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /FAILED: restic could not read .*unreadable\.log/);
    assert.equal(metrics().backup_last_attempt_success, 0);
  } finally {
    fs.rmSync(secret);
  }
});

test("check detects a corrupted pack and fails the run", () => {
  const packs: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else packs.push(path.join(dir, e.name));
  };
  walk(path.join(s3.root, BUCKET, "restic", NAME, "data"));
  const pack = packs.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
  assert.ok(pack, "a data pack in the bucket");
  const original = fs.readFileSync(pack);
  const damaged = Buffer.from(original);
  damaged[Math.floor(damaged.length / 2)] ^= 0xff;
  fs.writeFileSync(pack, damaged);
  try {
    const r = script("restic-backup");
    assert.notEqual(r.status, 0, r.stderr);
    assert.match(r.stderr, /FAILED: check found the repository damaged/);
    assert.equal(metrics().backup_last_attempt_success, 0);
  } finally {
    fs.writeFileSync(pack, original);
  }
});

test("an unreachable object store fails the run quickly, raises the failure metric and leaves the snapshots intact; pruning keeps keepLast", async () => {
  const before = snapshots();
  assert.ok(before.length >= 1);
  pushgateway.clear();
  await s3.stop();
  const started = Date.now();
  try {
    const r = script("restic-backup");
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /FAILED: the repository does not open/);
    assert.equal(metrics().backup_last_attempt_success, 0);
    assert.ok(metrics().backup_last_success_timestamp_seconds > 0, "the last success is kept");
    assert.ok(
      pushgateway.pushes().some((p) => /backup_last_attempt_success\{backup="api-logs"\} 0/.test(p.body)),
      "the failure is pushed",
    );
    assert.ok(Date.now() - started < 120_000, `failed after ${Date.now() - started} ms`);
  } finally {
    await s3.start();
  }
  assert.deepEqual(snapshots(), before);
  for (let i = 0; i < 2; i++) {
    fs.appendFileSync(path.join(source, "api.log"), `more ${i}\n`);
    const ok = script("restic-backup");
    assert.equal(ok.status, 0, ok.stderr);
  }
  assert.equal(snapshots().length, 2, "forget --prune keeps KEEP_LAST=2");
});
