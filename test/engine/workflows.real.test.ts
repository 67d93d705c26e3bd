// The workflows against the real CLI they run: flags the CLI registers only for debug commands
// must have PULUMI_DEBUG_COMMANDS set where they are used; deploy's jobs must not need root or
// debootstrap on a hosted runner, prod must not wait on dev, and every up is followed by a
// preview that must find nothing to change. actionlint checks the syntax
// (test/workflows/actionlint.real.test.ts, npm run lint:workflows).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { toolchainBinDir } from "../support/engine";
import { REPO_ROOT } from "../support/stack-files";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");

interface Step {
  name?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflows(): [string, Workflow][] {
  return fs
    .readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((f) => [f, parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8")) as Workflow]);
}

function cliHelp(command: string, debug: boolean): string {
  const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" };
  delete env.PULUMI_DEBUG_COMMANDS;
  if (debug) env.PULUMI_DEBUG_COMMANDS = "true";
  const r = spawnSync(path.join(toolchainBinDir(), "pulumi"), [command, "--help"], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("--event-log is used only where PULUMI_DEBUG_COMMANDS=true registers it in the real CLI", () => {
  // The premise, from the CLI itself: without the variable the flag does not exist.
  assert.doesNotMatch(cliHelp("preview", false), /--event-log/);
  assert.match(cliHelp("preview", true), /--event-log/);
  let uses = 0;
  for (const [file, wf] of workflows()) {
    for (const [jobName, job] of Object.entries(wf.jobs)) {
      for (const step of job.steps) {
        if (!step.run?.includes("--event-log")) continue;
        uses++;
        const env = { ...wf.env, ...job.env, ...step.env };
        assert.equal(
          env.PULUMI_DEBUG_COMMANDS,
          "true",
          `${file}: job ${jobName}, step "${step.name}" passes --event-log`,
        );
      }
    }
  }
  assert.ok(uses >= 2, "preview.yml and deploy.yml write an event log for the summary");
});

test("deploy: prod does not wait on dev, no job needs root or debootstrap, every up is checked for idempotence", () => {
  const deploy = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8")) as Workflow;
  const needs = (job: Job) => [job.needs ?? []].flat();
  assert.ok(!needs(deploy.jobs["prod-plan"]).includes("dev"), "prod-plan needs dev");
  assert.ok(!needs(deploy.jobs.prod).includes("dev"), "prod needs dev");
  for (const [file, wf] of workflows()) {
    for (const [jobName, job] of Object.entries(wf.jobs)) {
      const runs = job.steps.map((s) => s.run ?? "").join("\n");
      assert.doesNotMatch(runs, /\bsudo\b|debootstrap|apt-get|scripts\/setup\.sh/, `${file}: job ${jobName}`);
      const ups = job.steps.findIndex((s) => /npm run up -- (\w+)/.test(s.run ?? ""));
      if (ups < 0) continue;
      const stack = /npm run up -- (\w+)/.exec(job.steps[ups].run!)![1];
      assert.ok(
        job.steps.slice(ups + 1).some((s) => s.run?.includes(`npm run preview -- ${stack} --expect-no-changes`)),
        `${file}: job ${jobName} runs up for ${stack} without checking that a second preview changes nothing`,
      );
    }
  }
});

test("drift: every stack goes through scripts/drift.sh, which previews render-mode stacks instead of refreshing", () => {
  const drift = parse(fs.readFileSync(path.join(WORKFLOWS, "drift.yml"), "utf8")) as Workflow;
  const runs = Object.values(drift.jobs)
    .flatMap((j) => j.steps.map((s) => s.run ?? ""))
    .join("\n");
  assert.match(runs, /bash scripts\/drift\.sh "\$\{\{ matrix\.stack \}\}"/);
  assert.doesNotMatch(runs, /refresh/, "refresh of a render-mode stack fails with an unreachable cluster");
});
