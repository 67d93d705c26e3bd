// A scheduled job of the stack file on the real Docker engine: the backup image (run-job,
// supercronic) built from the local Debian base, the Pushgateway the dev stack runs, both created
// with the settings the Docker target computes (containerRunSpec, scheduledCommand). The job runs
// every minute; its first run succeeds and its second fails, and both outcomes reach the
// Pushgateway, the last success time surviving the failure. Torn down afterwards.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import {
  containerName,
  containerRunSpec,
  scheduledCommand,
  type ContainerRunSpec,
  type DockerContext,
} from "../targets/docker/containers";
import type { ScheduledJob, Workload } from "../workloads/model";
import { DOCKER_JOB_SCHEDULER } from "../../stacks/environment";
import { loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { buildImage, docker } from "../../test/support/docker";
import { readStackFileText, REPO_ROOT, stackFileInputFromText } from "../../test/support/stack-files";
import { supercronicBinary } from "../../test/support/tools";

const stack = `jobs${process.pid}`;
const ctx: DockerContext = { stack, bindAddress: "127.0.0.1", networkName: `ops-baseline-${stack}` };
const doc = parseYaml(readStackFileText("dev"));
// Succeeds the first time (leaves a mark in its /tmp), fails every time after.
doc.config["ops-baseline:jobs"] = {
  tick: {
    schedule: "* * * * *",
    timeout: "30s",
    command: ["bash", "-c", "if [ -e /tmp/ran ]; then echo failing; exit 3; fi; touch /tmp/ran; echo ok"],
  },
};
const config = loadStackConfig(stackFileInputFromText("dev", stringify(doc)));
const plan = planEnvironment(config);
const job = plan.jobs.find((j) => j.name === "tick") as ScheduledJob;
const pushgateway = plan.workloads.find((w) => w.name === "pushgateway") as Workload;
const jobImage = `ops-baseline-test-jobs/backup:${process.pid}`;
const pushgatewayImage = `ops-baseline-test-jobs/pushgateway:${process.pid}`;
const created: string[] = [];

/** `docker run -d` with the target's settings: user, read-only root, limits, capped logs, tmpfs mounts. */
function start(name: string, run: ContainerRunSpec, image: string, command: string[] | undefined, alias: string) {
  const args = ["run", "-d", "--name", name, "--network", ctx.networkName, "--network-alias", alias, "--init"];
  if (run.user) args.push("--user", run.user);
  if (run.readOnly) args.push("--read-only");
  args.push("--memory", `${run.memoryMegabytes}m`, "--cpus", run.cpus, "--cap-drop", "ALL");
  args.push("--security-opt", "no-new-privileges:true");
  for (const [k, v] of Object.entries(run.logOptions)) args.push("--log-opt", `${k}=${v}`);
  for (const e of run.env) args.push("--env", e);
  for (const m of run.mounts) {
    assert.notEqual(m.type, "bind", "no host paths");
    if (m.type === "tmpfs") args.push("--tmpfs", `${m.target}:size=${m.tmpfsSizeBytes},mode=1777`);
    else args.push("--mount", `type=volume,src=${m.source}-${process.pid},dst=${m.target}`);
  }
  if (command?.length) args.push("--entrypoint", command[0], image, ...command.slice(1), ...(run.args ?? []));
  else args.push(image, ...(run.args ?? []));
  created.push(name);
  docker(args);
}

async function pushed(): Promise<string> {
  // The backup image has curl; the Pushgateway's own metrics page lists what jobs pushed.
  return docker(["exec", containerName(ctx, "tick"), "curl", "-fsS", "http://pushgateway:9091/metrics"]);
}

function metric(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes('scheduled_job="tick"'));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

before(() => {
  const ready = spawnSync("bash", [path.join(REPO_ROOT, "scripts/docker-engine.sh")], { encoding: "utf8" });
  assert.equal(ready.status, 0, `no Docker engine: ${ready.stderr}`);
  const base = spawnSync("bash", [path.join(REPO_ROOT, "images/base/build.sh")], { encoding: "utf8" });
  assert.equal(base.status, 0, `no base image: ${base.stderr}`);
  supercronicBinary(); // staged into images/backup by toolchain/supercronic.sh
  buildImage(job.image, jobImage);
  buildImage(pushgateway.image, pushgatewayImage);
  docker(["network", "create", ctx.networkName]);
  const pg = containerRunSpec(ctx, pushgateway.name, pushgateway, undefined, pushgateway.labels);
  start(containerName(ctx, "pushgateway"), pg, pushgatewayImage, pushgateway.command, "pushgateway");
  const run = containerRunSpec(ctx, job.name, job, undefined, job.labels);
  start(containerName(ctx, "tick"), run, jobImage, scheduledCommand(job, DOCKER_JOB_SCHEDULER), "tick");
});

after(() => {
  for (const name of created.reverse()) spawnSync("docker", ["rm", "-f", "-v", name]);
  spawnSync("docker", ["network", "rm", ctx.networkName]);
  spawnSync("docker", ["rmi", jobImage, pushgatewayImage]);
});

test("a job's success and then its failure reach the Pushgateway; the last success is kept", async () => {
  const first = await until("the first run's success", 150, async () => {
    const text = await pushed();
    return metric(text, "scheduled_job_last_attempt_success") === 1 ? text : undefined;
  });
  const success = metric(first, "scheduled_job_last_success_timestamp_seconds");
  assert.ok(success !== undefined && success > Date.now() / 1000 - 300, first);
  const second = await until("the second run's failure", 150, async () => {
    const text = await pushed();
    return metric(text, "scheduled_job_last_attempt_success") === 0 ? text : undefined;
  });
  assert.equal(metric(second, "scheduled_job_last_success_timestamp_seconds"), success, "success time kept");
  assert.ok(metric(second, "scheduled_job_last_attempt_timestamp_seconds")! > success!, second);
  const logs = spawnSync("docker", ["logs", containerName(ctx, "tick")], { encoding: "utf8" });
  assert.match(logs.stdout + logs.stderr, /finished with exit status 3/);
});

test("docker stop ends the job container at once with exit status 0", () => {
  const name = containerName(ctx, "tick");
  const t0 = Date.now();
  docker(["stop", "-t", "30", name]);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 5_000, `docker stop took ${elapsed} ms`);
  assert.equal(docker(["inspect", "-f", "{{.State.ExitCode}}", name]), "0");
});
