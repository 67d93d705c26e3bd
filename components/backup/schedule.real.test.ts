// The job scheduler (images/backup/bin/schedule, supercronic underneath) as a real process and in
// a real container: a stop must end it at once, also while a run is in progress, instead of
// waiting out the engine's grace period and ending in SIGKILL.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../../test/support/stack-files";
import { supercronicBinary } from "../../test/support/tools";

const SCHEDULE = path.join(REPO_ROOT, "images", "backup", "bin", "schedule");

/** A cron spec that does not match the current minute (nor the next few). */
function notNow(): string {
  return `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
}

function startScheduler(spec: string, command: string[]) {
  // Its own process group, so a failing test can still remove every process it started.
  const child = spawn("bash", [SCHEDULE, spec, "--", ...command], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
    env: { ...process.env, PATH: `${path.dirname(supercronicBinary())}:${process.env.PATH}` },
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const until = async (pattern: RegExp, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!pattern.test(stderr)) {
      if (Date.now() > deadline) throw new Error(`scheduler did not print ${pattern} in ${ms} ms:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const cleanup = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  return { child, exited, until, cleanup, stderr: () => stderr };
}

async function stopWithin(s: ReturnType<typeof startScheduler>, ms: number) {
  const t0 = Date.now();
  s.child.kill("SIGTERM");
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 10_000);
  const result = await s.exited;
  clearTimeout(timer);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < ms, `SIGTERM took ${elapsed} ms to end the scheduler (limit ${ms} ms):\n${s.stderr()}`);
  assert.deepEqual(result, { code: 0, signal: null }, s.stderr());
}

test("SIGTERM ends an idle scheduler at once, between two minutes", async () => {
  const s = startScheduler(notNow(), ["true"]);
  try {
    await s.until(/schedule: '/);
    await new Promise((r) => setTimeout(r, 300)); // now inside the wait for the next minute
    await stopWithin(s, 2_000);
  } finally {
    s.cleanup();
  }
});

test("SIGTERM during a run stops the run too, and leaves no process behind", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-schedule-"));
  try {
    const pidFile = path.join(dir, "run.pid");
    const s = startScheduler("* * * * *", ["bash", "-c", `echo $$ > ${pidFile}; exec sleep 1000`]);
    try {
      await s.until(/msg=starting/, 70_000);
      const deadline = Date.now() + 5_000;
      while (!fs.existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const runPid = Number(fs.readFileSync(pidFile, "utf8"));
      await stopWithin(s, 2_000);
      assert.match(s.stderr(), /error running command: signal: terminated/);
      assert.throws(() => process.kill(runPid, 0), "the run's process is gone");
    } finally {
      s.cleanup();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("docker stop of a job container returns at once with exit status 0, not after the grace period", () => {
  const docker = (args: string[]) => spawnSync("docker", args, { encoding: "utf8" });
  assert.equal(docker(["info"]).status, 0, "no Docker engine answers; run: bash scripts/docker-engine.sh");
  const tag = `ops-baseline-test-schedule:${process.pid}`;
  const name = `ops-baseline-test-schedule-${process.pid}`;
  const context = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-schedule-image-"));
  try {
    // The backup image's scheduler on the same local base, without the clients it installs.
    fs.copyFileSync(SCHEDULE, path.join(context, "schedule"));
    fs.copyFileSync(supercronicBinary(), path.join(context, "supercronic"));
    fs.writeFileSync(
      path.join(context, "Dockerfile"),
      "FROM debian:bookworm-slim\nCOPY schedule supercronic /usr/local/bin/\nUSER 999:999\n",
    );
    const build = spawnSync("docker", ["build", "-q", "-t", tag, context], {
      encoding: "utf8",
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
    });
    assert.equal(build.status, 0, `docker build: ${build.stderr}`);
    // As the Docker target runs job containers: with an init process (init: true).
    const run = docker(["run", "-d", "--init", "--name", name, tag, "schedule", notNow(), "--", "true"]);
    assert.equal(run.status, 0, run.stderr);
    const deadline = Date.now() + 10_000;
    while (!/schedule: '/.test(docker(["logs", name]).stderr) && Date.now() < deadline) spawnSync("sleep", ["0.2"]);
    const t0 = Date.now();
    const stop = docker(["stop", "-t", "30", name]);
    const elapsed = Date.now() - t0;
    assert.equal(stop.status, 0, stop.stderr);
    assert.ok(elapsed < 5_000, `docker stop took ${elapsed} ms (a scheduler that ignores SIGTERM takes 30 s)`);
    assert.equal(docker(["inspect", "-f", "{{.State.ExitCode}}", name]).stdout.trim(), "0", "not killed");
    assert.match(docker(["logs", name]).stderr, /schedule: stopping/);
  } finally {
    docker(["rm", "-f", name]);
    docker(["rmi", "-f", tag]);
    fs.rmSync(context, { recursive: true, force: true });
  }
});
