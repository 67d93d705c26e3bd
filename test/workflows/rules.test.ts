// The review pipeline's rules, read from the workflow files themselves: which secrets a job
// triggered by a pull request can read, which jobs run on which events, that deploy.yml deploys
// dev only to its named persistent host and never deploys a render-mode prod, and that the
// pull-request comment carries the policy results and fits GitHub's limit.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO_ROOT } from "../support/stack-files";
import { GITHUB_COMMENT_LIMIT } from "../../tools/preview-summary/summarize";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  "runs-on"?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: unknown;
  env?: Record<string, string>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
  return parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

function workflowFiles(): string[] {
  return fs
    .readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith(".yml"))
    .sort();
}

function triggers(wf: Workflow): string[] {
  if (typeof wf.on === "string") return [wf.on];
  if (Array.isArray(wf.on)) return wf.on.map(String);
  return Object.keys(wf.on as object).sort();
}

/** Every secret a job can read: `secrets.NAME`, or `secrets[...]` (any name) as "[dynamic]". */
function secretsRead(value: unknown): string[] {
  const text = JSON.stringify(value ?? {});
  const names = [...text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]);
  if (/secrets\[/.test(text)) names.push("[dynamic]");
  return [...new Set(names)].sort();
}

function environmentOf(job: Job): string | undefined {
  return typeof job.environment === "string" ? job.environment : job.environment?.name;
}

function writes(permissions: Job["permissions"]): string[] {
  if (permissions === undefined) return [];
  if (typeof permissions === "string") return permissions === "write-all" ? ["all"] : [];
  return Object.entries(permissions)
    .filter(([, level]) => level === "write")
    .map(([scope]) => scope);
}

/** The GitHub environments docs/REVIEWING.md documents ("GitHub settings"), with their protection. */
function documentedEnvironments(): Map<string, string> {
  const doc = fs.readFileSync(path.join(REPO_ROOT, "docs", "REVIEWING.md"), "utf8");
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/^\| `([a-z-]+)` \| ([^|]+) \|/gm)) out.set(m[1], m[2].trim());
  return out;
}

/**
 * What is wrong with a workflow's secrets: a job triggered by a pull request reads a secret other
 * than GITHUB_TOKEN outside a protected environment (one with required reviewers), a job that can
 * write to the repository or pull request runs the pull request's code, or any job reads a secret
 * without naming an environment (the repository holds none of its own).
 */
export function secretProblems(file: string, wf: Workflow, environments: Map<string, string>): string[] {
  const problems: string[] = [];
  const onPullRequest = triggers(wf).some((t) => t.startsWith("pull_request"));
  if (triggers(wf).includes("pull_request_target"))
    problems.push(`${file}: pull_request_target runs with the repository's secrets`);
  if (onPullRequest && secretsRead(wf.env).length > 0) problems.push(`${file}: workflow env reads secrets`);
  for (const [name, job] of Object.entries(wf.jobs)) {
    const read = secretsRead(job).filter((s) => s !== "GITHUB_TOKEN");
    const env = environmentOf(job);
    if (read.length > 0 && env === undefined)
      problems.push(`${file}: job ${name} reads ${read.join(", ")} without an environment`);
    if (!onPullRequest) continue;
    const protection = env === undefined ? undefined : environments.get(env);
    if (read.length > 0 && !/required reviewers/i.test(protection ?? ""))
      problems.push(`${file}: job ${name} runs a pull request's code with ${read.join(", ")} (environment ${env})`);
    const jobWrites = writes(job.permissions ?? wf.permissions);
    const runsCode = job.steps.some((s) => s.run !== undefined || s.uses?.startsWith("actions/checkout"));
    if (jobWrites.length > 0 && runsCode)
      problems.push(`${file}: job ${name} runs a pull request's code with ${jobWrites.join(", ")} write access`);
  }
  return problems;
}

// ---- a job's `if`, evaluated -----------------------------------------------------------------

type Context = Record<string, unknown>;

function lookup(context: Context, dotted: string): unknown {
  let cur: unknown = context;
  for (const key of dotted.split(".")) cur = (cur as Record<string, unknown> | undefined)?.[key];
  return cur;
}

/** The `if` expressions these workflows use: `always()` and `a.b == 'x'` / `!=` terms joined by `&&`. */
function evaluate(expression: string | undefined, context: Context): boolean {
  if (expression === undefined) return true;
  return expression.split("&&").every((term) => {
    const t = term.trim();
    if (t === "always()") return true;
    const m = /^([\w.-]+) (==|!=) '([^']*)'$/.exec(t);
    if (!m) throw new Error(`cannot evaluate ${JSON.stringify(t)}`);
    const value = String(lookup(context, m[1]) ?? "");
    return m[2] === "==" ? value === m[3] : value !== m[3];
  });
}

/** The jobs of a workflow that run for an event, given the variables and the jobs' outputs. */
function jobsThatRun(wf: Workflow, event: string, context: Context): string[] {
  if (!triggers(wf).includes(event)) return [];
  const ran = new Map<string, boolean>();
  const runs = (name: string): boolean => {
    if (ran.has(name)) return ran.get(name)!;
    const job = wf.jobs[name];
    const needs = [job.needs ?? []].flat();
    // A job that runs succeeds here; its outputs are the context's (needs.<job>.outputs).
    const given = (context.needs ?? {}) as Record<string, object>;
    const needsContext = Object.fromEntries(needs.map((n) => [n, { result: "success", ...given[n] }]));
    const result =
      (/always\(\)/.test(job.if ?? "") || needs.every(runs)) && evaluate(job.if, { ...context, needs: needsContext });
    ran.set(name, result);
    return result;
  };
  return Object.keys(wf.jobs).filter(runs).sort();
}

/** The stack that a job applies (`npm run up -- <stack>`), if any. */
function appliedStack(job: Job): string | undefined {
  for (const step of job.steps) {
    const m = /npm run up -- ([\w-]+)/.exec(step.run ?? "");
    if (m) return m[1];
  }
  return undefined;
}

function stackFacts(...args: string[]): string {
  const r = spawnSync("node", [path.join(REPO_ROOT, "scripts", "stack-facts.mjs"), ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** The stacks of `stack-facts.mjs <args>` (a --matrix form) in the repository root. */
function matrixStacks(args: string[]): string[] {
  const r = spawnSync("node", [path.join(REPO_ROOT, "scripts", "stack-facts.mjs"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<{ stack: string }>).map((m) => m.stack).sort();
}

// ---- the rules ------------------------------------------------------------------------------

test("a pull_request job reads no secret but through an environment with required reviewers, and runs no code with write access", () => {
  const environments = documentedEnvironments();
  assert.match(environments.get("preview") ?? "", /required reviewers/i, "docs/REVIEWING.md documents `preview`");
  const problems = workflowFiles().flatMap((f) => secretProblems(f, workflow(f), environments));
  assert.deepEqual(problems, []);
  // The preview job, which runs the pull request's code, reads its secrets from `preview` only.
  const preview = workflow("preview.yml");
  assert.deepEqual(triggers(preview), ["pull_request"]);
  assert.equal(environmentOf(preview.jobs.preview), "preview");
  assert.deepEqual(secretsRead(preview.jobs.preview), ["PULUMI_BACKEND_URL", "[dynamic]"]);
  assert.deepEqual(secretsRead(preview.jobs.comment), []);
  assert.deepEqual(writes(preview.jobs.comment.permissions), ["pull-requests"]);
  assert.deepEqual(writes(preview.permissions), []);
});

test("the secrets rule finds a pull request job that reads repository secrets or writes with its code", () => {
  const environments = documentedEnvironments();
  // The shape preview.yml had: the passphrase and backend for any pushed branch, and a token
  // that writes to the pull request in the job that runs its code.
  const leaky = parse(`
on: { pull_request: { branches: [main] } }
permissions: { contents: read, pull-requests: write }
jobs:
  preview:
    runs-on: ubuntu-24.04
    env:
      PULUMI_BACKEND_URL: \${{ secrets.PULUMI_BACKEND_URL }}
      PULUMI_CONFIG_PASSPHRASE: \${{ secrets[matrix.passphraseSecret] }}
    steps:
      - uses: actions/checkout@v4.2.2
      - run: npm run preview -- prod
  unprotected:
    runs-on: ubuntu-24.04
    environment: main-branch
    steps:
      - run: echo "\${{ secrets.PULUMI_PASSPHRASE_prod }}"
`) as Workflow;
  const problems = secretProblems("leaky.yml", leaky, environments);
  assert.deepEqual(problems, [
    "leaky.yml: job preview reads PULUMI_BACKEND_URL, [dynamic] without an environment",
    "leaky.yml: job preview runs a pull request's code with PULUMI_BACKEND_URL, [dynamic] (environment undefined)",
    "leaky.yml: job preview runs a pull request's code with pull-requests write access",
    "leaky.yml: job unprotected runs a pull request's code with PULUMI_PASSPHRASE_prod (environment main-branch)",
    "leaky.yml: job unprotected runs a pull request's code with pull-requests write access",
  ]);
  const target = parse("on: pull_request_target\njobs: {}\n") as Workflow;
  assert.equal(secretProblems("t.yml", target, environments).length, 1);
});

test("every environment the workflows name is documented with its protection, and the documented ones are used", () => {
  const documented = documentedEnvironments();
  const used = new Set(
    workflowFiles().flatMap((f) =>
      Object.values(workflow(f).jobs)
        .map(environmentOf)
        .filter((e): e is string => e !== undefined),
    ),
  );
  assert.deepEqual([...used].sort(), [...documented.keys()].sort());
  assert.match(documented.get("production")!, /required reviewers/i);
  assert.match(documented.get("production")!, /`main` only/);
});

test("which jobs run on which events", () => {
  const run = (file: string, event: string, context: Context = {}) => jobsThatRun(workflow(file), event, context);
  // A pull request: only the preview and its comment.
  assert.deepEqual(run("preview.yml", "pull_request"), ["comment", "preview", "stacks"]);
  for (const file of ["deploy.yml", "drift.yml", "images.yml"])
    assert.deepEqual(run(file, "pull_request"), [], `${file} runs on a pull request`);
  assert.deepEqual(run("preview.yml", "push"), []);
  // A merge to main, as shipped: prod renders manifests and no dev host is registered.
  const deploy = workflow("deploy.yml");
  const merged = (vars: Record<string, string>, mode: string) =>
    jobsThatRun(deploy, "push", { vars, needs: { facts: { outputs: { prod_mode: mode } } } });
  for (const job of Object.values(deploy.jobs)) {
    if (job.if?.includes("needs.facts"))
      assert.ok([job.needs ?? []].flat().includes("facts"), `${job.if} without needs: facts`);
  }
  assert.deepEqual(merged({}, stackFacts("--mode", path.join(REPO_ROOT, "Pulumi.prod.yaml"))), [
    "facts",
    "prod-render",
  ]);
  // With the dev host registered and prod aimed at a cluster: everything but the render notice.
  assert.deepEqual(merged({ DEPLOY_DEV: "true" }, "deploy"), ["dev", "facts", "prod", "prod-plan"]);
  assert.deepEqual(run("drift.yml", "schedule"), ["drift", "stacks"]);
  assert.deepEqual(triggers(deploy), ["push"]);
  assert.deepEqual((deploy.on as { push: { branches: string[] } }).push.branches, ["main"]);
});

test("deploy does not run on a render-mode stack: prod's jobs need the facts job to say deploy", (t) => {
  const deploy = workflow("deploy.yml");
  const facts = deploy.jobs.facts;
  assert.match(
    facts.steps.find((s) => s.id === "mode")!.run!,
    /node scripts\/stack-facts\.mjs --mode Pulumi\.prod\.yaml/,
  );
  assert.deepEqual(secretsRead(facts), [], "the facts job reads no secret");
  // What stack-facts says of the shipped file, and of the same file aimed at a cluster.
  const prod = path.join(REPO_ROOT, "Pulumi.prod.yaml");
  assert.equal(stackFacts("--mode", prod), "render");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-mode-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cluster = path.join(dir, "Pulumi.prod.yaml");
  fs.writeFileSync(cluster, fs.readFileSync(prod, "utf8").replace(/^\s*renderYamlToDirectory:.*$/m, ""));
  assert.equal(stackFacts("--mode", cluster), "deploy");
  assert.equal(stackFacts("--mode", path.join(REPO_ROOT, "Pulumi.dev.yaml")), "deploy");
  // Every job that touches prod's engine runs only when the mode is deploy.
  const context = (mode: string) => ({
    vars: { DEPLOY_DEV: "true" },
    needs: { facts: { outputs: { prod_mode: mode } } },
  });
  for (const [name, job] of Object.entries(deploy.jobs)) {
    const touchesProd = job.steps.some((s) => /npm run (-s )?(up|preview) -- prod\b/.test(s.run ?? ""));
    if (!touchesProd) continue;
    assert.equal(evaluate(job.if, context("render")), false, `job ${name} runs on a render-mode prod`);
    assert.equal(evaluate(job.if, context("deploy")), true, `job ${name} never runs`);
  }
  assert.equal(evaluate(deploy.jobs["prod-render"].if, context("render")), true);
  assert.deepEqual(secretsRead(deploy.jobs["prod-render"]), []);
});

test("deploy puts dev only on the named persistent host, or nowhere, and checks what runs after up", () => {
  const deploy = workflow("deploy.yml");
  for (const [name, job] of Object.entries(deploy.jobs)) {
    const stack = appliedStack(job);
    if (stack === undefined) continue;
    const kind = stackFacts(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`)).split(" ")[1];
    if (kind !== "docker") continue;
    const labels = [job["runs-on"] ?? []].flat();
    assert.deepEqual(labels, ["self-hosted", "ops-baseline-dev"], `job ${name} deploys ${stack} on ${labels}`);
    assert.equal(evaluate(job.if, { vars: {} }), false, `job ${name} runs without a registered host`);
    assert.equal(evaluate(job.if, { vars: { DEPLOY_DEV: "true" } }), true);
    const runs = job.steps.map((s) => s.run ?? "");
    const up = runs.findIndex((r) => r.includes(`npm run up -- ${stack}`));
    assert.ok(
      runs.slice(up + 1).some((r) => r.includes(`bash scripts/drift.sh ${stack}`)),
      `job ${name}: no refresh of what runs after up`,
    );
  }
  const lint = parse(fs.readFileSync(path.join(REPO_ROOT, ".github", "actionlint.yaml"), "utf8"));
  assert.deepEqual(lint["self-hosted-runner"].labels, ["ops-baseline-dev"]);
});

test("drift checks a Docker stack only on the named host, and every other stack on a hosted runner", () => {
  const drift = workflow("drift.yml");
  // Which stack-facts arguments make each output of the stacks job.
  const outputs = new Map<string, string[]>();
  for (const line of drift.jobs.stacks.steps.find((s) => s.id === "list")!.run!.split("\n")) {
    const m = /echo "(\w+)=\$\(node scripts\/stack-facts\.mjs ([^)]*)\)"/.exec(line);
    if (m) outputs.set(m[1], m[2].split(" "));
  }
  const seen: string[] = [];
  for (const [name, job] of Object.entries(drift.jobs)) {
    const include = (job as any).strategy?.matrix?.include as string | undefined;
    if (include === undefined) continue;
    const output = /needs\.stacks\.outputs\.(\w+)/.exec(include)![1];
    const stacks = matrixStacks(outputs.get(output)!);
    seen.push(...stacks);
    const kinds = stacks.map((st) => stackFacts(path.join(REPO_ROOT, `Pulumi.${st}.yaml`)).split(" ")[1]);
    const labels = [job["runs-on"] ?? []].flat();
    if (kinds.includes("docker")) {
      assert.ok(
        kinds.every((k) => k === "docker"),
        `job ${name} mixes Docker and other stacks`,
      );
      assert.deepEqual(labels, ["self-hosted", "ops-baseline-dev"], `job ${name} checks Docker stacks on ${labels}`);
      const listed = { stacks: { outputs: { [output]: JSON.stringify(stacks) } } };
      assert.equal(evaluate(job.if, { vars: {}, needs: listed }), false, `job ${name} runs without the host`);
      assert.equal(evaluate(job.if, { vars: { DEPLOY_DEV: "true" }, needs: listed }), true, `job ${name} never runs`);
    } else {
      assert.ok(
        labels.every((l) => l.startsWith("ubuntu-")),
        `job ${name} runs on ${labels}`,
      );
    }
  }
  // Every stack file is checked by one job.
  assert.deepEqual(seen.sort(), matrixStacks(["--matrix"]));
});

test("the comment carries the policy pack's results and, with its marker, stays under GitHub's limit on a big preview", (t) => {
  const preview = workflow("preview.yml").jobs.preview;
  const run = (name: string) => preview.steps.find((s) => s.name === name)!.run!;
  // The preview writes the event log the summary reads its policy results from.
  const eventLog = /--event-log "([^"]+)"/.exec(run("Preview"))?.[1];
  assert.match(run("Preview"), /--policy-pack policy/);
  assert.ok(eventLog, "the preview writes an event log");
  const summarise = run("Summarise");
  assert.ok(summarise.includes(`--events "${eventLog}"`), "the summary reads the preview's event log");
  const maxChars = Number(/--max-chars (\d+)/.exec(summarise)?.[1]);
  // The comment is the marker line and the summary file; a stack name has at most 40 characters.
  const script = workflow("preview.yml").jobs.comment.steps.find((s) => s.name === "Comment")!.with!.script;
  const marker = /const marker = `([^`]+)`/.exec(script)?.[1];
  assert.equal(marker, "<!-- ops-baseline-preview:${stack} -->");
  assert.match(script, /const body = `\$\{marker\}\\n\$\{fs\.readFileSync/);
  const longest = marker!.replace("${stack}", "s".repeat(40)).length + 1 + maxChars;
  assert.ok(longest <= GITHUB_COMMENT_LIMIT, `a comment can be ${longest} characters`);

  // The summariser with the workflow's own arguments, on a preview of 6,000 changes and as
  // many policy violations.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-comment-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const urn = (type: string, name: string) =>
    `urn:pulumi:prod::ops-baseline::ops-baseline:index:Environment$${type}::${name}`;
  const steps = Array.from({ length: 6000 }, (_, i) => {
    const type = i % 3 === 0 ? "kubernetes:core/v1:PersistentVolumeClaim" : "kubernetes:apps/v1:Deployment";
    return { op: i % 3 === 0 ? "delete" : "create", urn: urn(type, `r-${i}`), oldState: { type } };
  });
  const events = [
    ...steps.map((s) => ({
      policyEvent: {
        policyPackName: "ops-baseline",
        policyName: "resource-limits",
        enforcementLevel: i(s) % 2 === 0 ? "mandatory" : "advisory",
        resourceUrn: s.urn,
        message: "container has no memory limit; set resources.limits.memory",
      },
    })),
    { summaryEvent: { PolicyPacks: { "ops-baseline": "0.1.0" } } },
  ];
  function i(s: { urn: string }): number {
    return Number(s.urn.slice(s.urn.lastIndexOf("-") + 1));
  }
  fs.writeFileSync(path.join(dir, "preview.json"), JSON.stringify({ steps }));
  fs.writeFileSync(path.join(dir, "events.jsonl"), events.map((e) => JSON.stringify(e)).join("\n"));
  const args = summarise
    .replace(/\\\n/g, " ")
    .split("\n")
    .find((l) => l.includes("npm run -s preview-summary"))!
    .replace(/^.*npm run -s preview-summary -- /, "")
    .replace(/ >.*$/, "")
    .replace(/"\$RUNNER_TEMP\/([\w.]+)"/g, (_, f) => path.join(dir, f))
    .replace(/"\$STACK"/, "prod")
    .split(/\s+/)
    .filter(Boolean);
  const r = spawnSync("node", [path.join(REPO_ROOT, "dist", "tools", "preview-summary", "cli.js"), ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.length <= maxChars, `${r.stdout.length} characters`);
  assert.match(r.stdout, /^### Preview of `prod`: risk \*\*HIGH\*\*\n\n\*\*High risk: data may be lost\*\*/);
  assert.match(r.stdout, /\nRisk: high\n$/);
  assert.match(r.stdout, /lines left out to stay under 65000 characters/);

  // A preview that fits carries the packs' results.
  fs.writeFileSync(path.join(dir, "preview.json"), JSON.stringify({ steps: steps.slice(0, 10) }));
  fs.writeFileSync(
    path.join(dir, "events.jsonl"),
    events
      .slice(-1)
      .map((e) => JSON.stringify(e))
      .join("\n"),
  );
  const small = spawnSync("node", [path.join(REPO_ROOT, "dist", "tools", "preview-summary", "cli.js"), ...args], {
    encoding: "utf8",
  });
  assert.equal(small.status, 0, small.stderr);
  assert.match(small.stdout, /#### Policy packs\n\n- `ops-baseline` 0\.1\.0: ran; no per-policy results reported/);
});
