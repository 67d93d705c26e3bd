// The generated operations documents (docs/stacks/<stack>/ and examples/<system>/docs/<stack>/):
// current with the stack files, every runbook_url lands on its section, and every command names
// only containers, workloads, namespaces, volumes and scripts that the stack's plan and images
// have. Also: a stack that adds a service gets its commands, and attached runbook text is placed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { restoreProcedures } from "../components/backup/restore";
import { renderStackDocs } from "../stacks/opsdocs";
import { kubernetesCommands } from "../stacks/opsdocs/commands";
import { containerName, volumeName, type DockerContext } from "../components/targets/docker/containers";
import { cronJob } from "../components/targets/kubernetes/jobs";
import { persistentVolumeClaims } from "../components/targets/kubernetes/storage";
import { workloadController } from "../components/targets/kubernetes/workloads";
import { loadStackConfig } from "../stacks/config/load";
import type { StackConfig } from "../stacks/config/schema";
import { planEnvironment, type EnvironmentPlan } from "../stacks/plan";
import {
  allDocsTargets,
  docsTarget,
  loadTargetConfig,
  readAttachments,
  stackDocs,
  writeStackDocs,
} from "../tools/docs/stacks";
import { readStackFileText, REPO_ROOT, stackFileInputFromText } from "./support/stack-files";

const targets = allDocsTargets();

test("every repository stack file and example system has a docs target", () => {
  const rels = targets.map((t) => t.relFile);
  assert.ok(rels.includes("Pulumi.dev.yaml") && rels.includes("Pulumi.prod.yaml"), rels.join(", "));
  assert.equal(docsTarget("Pulumi.dev.yaml").relOutDir, "docs/stacks/dev");
});

for (const t of targets) {
  test(`operations docs of ${t.relFile} are current (update with: npm run docs)`, () => {
    for (const [name, content] of stackDocs(t)) {
      const file = path.join(t.outDir, name);
      assert.ok(fs.existsSync(file), `${t.relOutDir}/${name} is missing; run: npm run docs`);
      assert.equal(fs.readFileSync(file, "utf8"), content, `${t.relOutDir}/${name} is stale; run: npm run docs`);
    }
  });
}

test("rendering the docs is deterministic", () => {
  for (const t of targets) assert.deepEqual(stackDocs(t), stackDocs(t));
});

/** Every `<a id>` of a document, with how often each occurs. */
function anchorCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/<a id="([^"]+)"><\/a>/g)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  return counts;
}

function renderedRules(plan: EnvironmentPlan) {
  return plan.monitoring!.ruleFiles.flatMap((f) =>
    (
      parseYaml(f.content) as {
        groups: Array<{ rules: Array<{ alert?: string; annotations?: Record<string, string> }> }>;
      }
    ).groups.flatMap((g) => g.rules.filter((r) => r.alert)),
  );
}

for (const t of targets) {
  test(`every rendered alert of ${t.relFile} links to its own section of the generated runbook`, () => {
    const config = loadTargetConfig(t);
    const plan = planEnvironment(config);
    const runbook = stackDocs(t).get("RUNBOOK.md")!;
    const anchors = anchorCounts(runbook);
    for (const [id, n] of anchors) assert.equal(n, 1, `anchor #${id} occurs ${n} times`);
    const rules = renderedRules(plan);
    assert.ok(rules.length > 10, "the stack renders its alerts");
    for (const rule of rules) {
      const url = rule.annotations?.runbook_url ?? "";
      const [base, id] = url.split("#");
      assert.equal(base, config.alerts.runbookBaseUrl, `${rule.alert}: runbook_url base`);
      assert.ok(base.endsWith(`${t.relOutDir}/RUNBOOK.md`), `${rule.alert}: ${base} leads to the generated runbook`);
      assert.ok(anchors.has(id), `${rule.alert}: no section #${id} in ${t.relOutDir}/RUNBOOK.md`);
      // The anchor sits right before the alert's heading.
      assert.match(runbook, new RegExp(`<a id="${id}"></a>\\n\\n#### ${rule.alert}\\n`), `${rule.alert} section`);
    }
  });
}

test("a runbookBaseUrl that does not lead to the generated runbook is refused, naming the key", () => {
  const t = docsTarget("Pulumi.dev.yaml");
  const text = readStackFileText("dev").replace(
    "  ops-baseline:alerts:\n",
    "  ops-baseline:alerts:\n    runbookBaseUrl: https://wiki.example.com/runbook\n",
  );
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, ".tmp-opsdocs-"));
  try {
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), text);
    fs.cpSync(path.join(REPO_ROOT, "docs", "runbooks"), path.join(dir, "docs", "runbooks"), { recursive: true });
    assert.throws(
      () => stackDocs(docsTarget(path.join(dir, "Pulumi.dev.yaml"))),
      /ops-baseline:alerts\.runbookBaseUrl: is "https:\/\/wiki\.example\.com\/runbook", but this stack's runbook is generated at \.tmp-opsdocs-\w+\/docs\/dev\/RUNBOOK\.md/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual([...stackDocs(t).keys()], ["OPERATIONS.md", "RUNBOOK.md", "TROUBLESHOOTING.md"]);
});

// ---- every name a command uses exists --------------------------------------------------------

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const BACKUP_SCRIPTS = new Set(fs.readdirSync(path.join(REPO_ROOT, "images", "backup", "bin")));

/** Problems with the names the commands of one document use; empty when all exist. */
export function commandNameProblems(markdown: string, config: StackConfig, plan: EnvironmentPlan, stack: string) {
  const problems: string[] = [];
  const text = shellBlocks(markdown).join("\n");
  assert.ok(text.length > 0, "the document has commands");
  // Scripts: every /opt/ops-baseline/bin/<x> is shipped by the backup image (COPY bin/ there).
  assert.match(
    fs.readFileSync(path.join(REPO_ROOT, "images", "backup", "Dockerfile"), "utf8"),
    /COPY bin\/ \/opt\/ops-baseline\/bin\//,
  );
  for (const m of text.matchAll(/\/opt\/ops-baseline\/bin\/([A-Za-z0-9_-]+)/g)) {
    if (!BACKUP_SCRIPTS.has(m[1])) problems.push(`script ${m[1]} is not in images/backup/bin`);
  }
  if (config.target.kind === "docker") {
    const ctx: DockerContext = { stack, bindAddress: config.target.bindAddress, networkName: `ops-baseline-${stack}` };
    const known = new Set<string>([containerName(ctx, "")]);
    for (const w of plan.workloads) {
      for (let r = 0; r < w.replicas; r++) known.add(containerName(ctx, w.name, r));
      for (const s of w.sidecars) known.add(containerName(ctx, `${w.name}-${s.name}`));
      for (const v of w.volumes.filter((v) => v.persistent && !v.sharedFrom))
        known.add(volumeName(ctx, w.name, v.name));
    }
    for (const j of plan.jobs) {
      known.add(containerName(ctx, j.name));
      for (const v of j.volumes.filter((v) => v.persistent && !v.sharedFrom))
        known.add(volumeName(ctx, j.name, v.name));
    }
    for (const m of text.matchAll(new RegExp(`ops-baseline-${stack}-[A-Za-z0-9_.-]*`, "g"))) {
      if (!known.has(m[0])) problems.push(`container or volume ${m[0]} is not in the plan`);
    }
    if (/kubectl/.test(text)) problems.push("kubectl in a Docker stack's commands");
  } else {
    const ctx = { namespace: config.target.namespace, commonLabels: {} };
    const controllers = new Map(plan.workloads.map((w) => [w.name, workloadController(w, ctx)]));
    const cronJobs = new Set(plan.jobs.map((j) => cronJob(j, ctx).metadata.name as string));
    const claims = new Set<string>([
      ...plan.workloads.flatMap((w) => {
        const o = controllers.get(w.name)!;
        return o.kind === "StatefulSet"
          ? (o.spec.volumeClaimTemplates as Array<{ metadata: { name: string } }>).flatMap((c) =>
              Array.from({ length: w.replicas }, (_, r) => `${c.metadata.name}-${w.name}-${r}`),
            )
          : persistentVolumeClaims(w, ctx).map((c) => c.metadata.name as string);
      }),
      ...plan.jobs.flatMap((j) => persistentVolumeClaims(j, ctx).map((c) => c.metadata.name as string)),
    ]);
    for (const m of text.matchAll(/kubectl -n (\S+)/g)) {
      if (m[1] !== config.target.namespace) problems.push(`namespace ${m[1]} is not the stack's`);
    }
    for (const m of text.matchAll(/\b(deployment|statefulset|cronjob|svc|job)\/([a-z0-9-]+)/g)) {
      const [, kind, name] = m;
      const o = controllers.get(name);
      const ok =
        kind === "cronjob"
          ? cronJobs.has(name)
          : kind === "svc"
            ? o && plan.workloads.find((w) => w.name === name)!.ports.length > 0
            : kind === "job"
              ? new RegExp(`create job --from=cronjob/[a-z0-9-]+ ${name}\\b`).test(text)
              : o && String(o.kind).toLowerCase() === kind;
      if (!ok) problems.push(`${kind}/${name} is not in the plan`);
    }
    for (const m of text.matchAll(/app\.kubernetes\.io\/name=([a-z0-9-]+)/g)) {
      if (!controllers.has(m[1]) && !cronJobs.has(m[1])) problems.push(`label selector ${m[1]} selects nothing`);
    }
    for (const m of text.matchAll(/delete persistentvolumeclaims ([^\n]+)/g)) {
      for (const claim of m[1].trim().split(/\s+/))
        if (!claims.has(claim)) problems.push(`claim ${claim} is not in the plan`);
    }
    if (/docker (exec|restart|logs|stop|start)/.test(text)) problems.push("docker commands in a Kubernetes stack");
  }
  return problems;
}

for (const t of targets) {
  test(`every command in the docs of ${t.relFile} names only what the stack has`, () => {
    const config = loadTargetConfig(t);
    const plan = planEnvironment(config);
    for (const [name, content] of stackDocs(t)) {
      assert.deepEqual(commandNameProblems(content, config, plan, t.stack), [], `${t.relOutDir}/${name}`);
    }
  });
}

test("the name check fails on a command that names something the stack does not have", () => {
  for (const t of targets.filter((x) => x.relFile === "Pulumi.dev.yaml" || x.relFile === "Pulumi.prod.yaml")) {
    const config = loadTargetConfig(t);
    const plan = planEnvironment(config);
    const bogus =
      config.target.kind === "docker"
        ? "```sh\ndocker restart ops-baseline-dev-apii\n```"
        : "```sh\nkubectl -n ops-baseline rollout restart deployment/postgres\nkubectl -n other get pods\n```";
    assert.ok(
      commandNameProblems(bogus + "\n```sh\n/opt/ops-baseline/bin/restore-redis\n```", config, plan, t.stack).length >=
        2,
    );
  }
});

test("documents promise nothing that is not there: no TODO, no placeholders of the generator", () => {
  for (const t of targets) {
    for (const [name, content] of stackDocs(t)) {
      assert.doesNotMatch(
        content,
        /\bTODO\b|\bTBD\b|coming soon|undefined|\[object Object\]|NaN/i,
        `${t.relOutDir}/${name}`,
      );
    }
  }
  const dev = stackDocs(docsTarget("Pulumi.dev.yaml"));
  // Grafana is off in dev: the docs say so and name no Grafana workload.
  assert.match(dev.get("OPERATIONS.md")!, /Grafana is off in this stack/);
  assert.doesNotMatch(dev.get("RUNBOOK.md")!, /ops-baseline-dev-grafana/);
  const prod = stackDocs(docsTarget("Pulumi.prod.yaml"));
  assert.match(prod.get("OPERATIONS.md")!, /\| grafana \| monitoring \| StatefulSet \|/);
});

// ---- a stack that changes changes its docs ------------------------------------------------------

function withEdit(stack: string, edit: (config: Record<string, unknown>) => void, dir = REPO_ROOT) {
  const doc = parseYaml(readStackFileText(stack)) as { config: Record<string, unknown> };
  edit(doc.config);
  const config = loadStackConfig(stackFileInputFromText(stack, stringify(doc), dir));
  const plan = planEnvironment(config);
  return { config, plan, docs: renderDocs(stack, config, plan, dir) };
}

function renderDocs(stack: string, config: StackConfig, plan: EnvironmentPlan, dir: string) {
  return renderStackDocs({
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    plan,
    attachments: readAttachments(config, dir),
    regenerate: `npm run docs -- ${stack}`,
  });
}

test("a service added to the stack gets its restart commands, resources and health rows", () => {
  for (const stack of ["dev", "prod"]) {
    const { config, plan, docs } = withEdit(stack, (c) => {
      const services = c["ops-baseline:services"] as Record<string, Record<string, unknown>>;
      services.worker = {
        image: stack === "dev" ? "ops-baseline/api:0.1.0" : "ghcr.io/ops-baseline/api:0.1.0",
        ports: [{ name: "http", port: 3000 }],
        health: { liveness: { http: "/health" }, readiness: { http: "/ready" } },
        dependsOn: ["postgres"],
        security: { runAsUser: 10001, readOnlyRootFilesystem: true },
      };
    });
    const runbook = docs.get("RUNBOOK.md")!;
    const ops = docs.get("OPERATIONS.md")!;
    if (stack === "dev") {
      assert.match(runbook, /docker restart ops-baseline-dev-worker\n/);
      assert.match(ops, /\| worker \| service \| container \| 1 \|/);
    } else {
      assert.match(runbook, /kubectl -n ops-baseline rollout restart deployment\/worker\n/);
      assert.match(ops, /\| worker \| service \| Deployment \| 2 \|/);
    }
    assert.match(ops, /\d+\. `worker` \(after postgres\)/);
    for (const content of docs.values()) assert.deepEqual(commandNameProblems(content, config, plan, stack), []);
  }
});

test("runbook text attached to a service or an alert is placed in its section", () => {
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, ".tmp-opsdocs-"));
  try {
    fs.writeFileSync(path.join(dir, "servicedown.md"), "Page the API team in #api-oncall first.\n");
    const { docs } = withEdit(
      "dev",
      (c) => {
        const services = c["ops-baseline:services"] as Record<string, Record<string, unknown>>;
        services.api.runbook = { text: "The API keeps no state; restarting it is always safe." };
        const alerts = c["ops-baseline:alerts"] as Record<string, unknown>;
        alerts.runbooks = { ServiceDown: { file: "servicedown.md" } };
      },
      dir,
    );
    const runbook = docs.get("RUNBOOK.md")!;
    const section = (id: string) =>
      runbook.slice(
        runbook.indexOf(`<a id="${id}"></a>`),
        runbook.indexOf("<a id=", runbook.indexOf(`<a id="${id}"></a>`) + 5),
      );
    assert.match(section("servicedown"), /\*\*Notes for this stack\.\*\*\n\nPage the API team in #api-oncall first\./);
    assert.match(section("workload-api"), /The API keeps no state; restarting it is always safe\./);
    assert.doesNotMatch(section("probefailing"), /api-oncall/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("attached runbook text is validated: the file exists, one of text or file, a known alert", () => {
  const problems = (edit: (c: Record<string, unknown>) => void) => {
    try {
      withEdit("dev", edit);
      return "";
    } catch (err) {
      return (err as Error).message;
    }
  };
  const missing = problems((c) => {
    (c["ops-baseline:alerts"] as Record<string, unknown>).runbooks = { ServiceDown: { file: "docs/runbooks/nope.md" } };
  });
  assert.match(missing, /^Pulumi\.dev\.yaml has 1 problem; nothing was deployed:/);
  assert.match(
    missing,
    /Pulumi\.dev\.yaml: ops-baseline:alerts\.runbooks\.ServiceDown\.file: names docs\/runbooks\/nope\.md, which does not exist/,
  );
  const both = problems((c) => {
    (c["ops-baseline:services"] as Record<string, Record<string, unknown>>).api.runbook = {
      text: "x",
      file: "README.md",
    };
  });
  assert.match(
    both,
    /ops-baseline:services\.api\.runbook: set exactly one of text: <markdown> or file: <path relative to the stack file>/,
  );
  const unknown = problems((c) => {
    (c["ops-baseline:alerts"] as Record<string, unknown>).runbooks = { ServiceDwn: { text: "x" } };
  });
  assert.match(
    unknown,
    /ops-baseline:alerts\.runbooks\.ServiceDwn: is not an alert of this project \(did you mean "ServiceDown"\?\)/,
  );
  const dirAsFile = problems((c) => {
    (c["ops-baseline:dataStores"] as Record<string, Record<string, unknown>>).postgres.runbook = { file: "docs" };
  });
  assert.match(dirAsFile, /ops-baseline:dataStores\.postgres\.runbook\.file: names docs, which is not a file/);
  const typo = problems((c) => {
    (c["ops-baseline:services"] as Record<string, Record<string, unknown>>).api.runbok = { text: "x" };
  });
  assert.match(typo, /ops-baseline:services\.api\.runbok: unknown key \(did you mean "runbook"\?\)/);
});

test("an example system's stack file gets its documents beside it, linked from its own runbook_url", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-examples-"));
  try {
    const system = path.join(root, "examples", "shop");
    fs.mkdirSync(system, { recursive: true });
    fs.cpSync(path.join(REPO_ROOT, "docs", "runbooks"), path.join(system, "docs", "runbooks"), { recursive: true });
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: x\n");
    const base = "https://git.example.com/ops/blob/main/examples/shop/docs/dev/RUNBOOK.md";
    fs.writeFileSync(
      path.join(system, "Pulumi.dev.yaml"),
      readStackFileText("dev").replace(
        "  ops-baseline:alerts:\n",
        `  ops-baseline:alerts:\n    runbookBaseUrl: ${base}\n`,
      ),
    );
    const found = allDocsTargets(root);
    const shop = found.find((t) => t.relFile === "examples/shop/Pulumi.dev.yaml");
    assert.ok(shop, found.map((t) => t.relFile).join(", "));
    assert.equal(shop.relOutDir, "examples/shop/docs/dev");
    assert.deepEqual(writeStackDocs(shop), [
      "examples/shop/docs/dev/OPERATIONS.md",
      "examples/shop/docs/dev/RUNBOOK.md",
      "examples/shop/docs/dev/TROUBLESHOOTING.md",
    ]);
    const runbook = fs.readFileSync(path.join(system, "docs", "dev", "RUNBOOK.md"), "utf8");
    assert.match(runbook, /by `npm run docs -- examples\/shop\/Pulumi\.dev\.yaml`/);
    const anchors = anchorCounts(runbook);
    for (const rule of renderedRules(planEnvironment(loadTargetConfig(shop)))) {
      const [url, id] = rule.annotations!.runbook_url.split("#");
      assert.equal(url, base);
      assert.ok(anchors.has(id), `${rule.alert}: #${id}`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** RFC 6902 `replace`: the target must exist, as the API server requires. */
function jsonPatchReplace(doc: unknown, pointer: string, value: unknown): void {
  const keys = pointer.split("/").slice(1);
  let cur = doc as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    assert.ok(cur && typeof cur === "object" && key in cur, `${pointer}: no ${key}`);
    cur = cur[key] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  assert.ok(last in cur, `${pointer}: nothing to replace`);
  cur[last] = value;
}

test("the Kubernetes restore replaces the command of a Job made from the backup CronJob", () => {
  const t = docsTarget("Pulumi.prod.yaml");
  const config = loadTargetConfig(t);
  const plan = planEnvironment(config);
  assert.equal(config.target.kind, "kubernetes");
  const ctx = { namespace: "ops-baseline", commonLabels: {} };
  const cmd = kubernetesCommands({ config, stack: t.stack, workloads: plan.workloads, jobs: plan.jobs }, ctx);
  const proc = restoreProcedures(config).find((p) => p.backup === "postgres")!;
  const job = plan.jobs.find((j) => j.name === proc.job)!;
  const argv = proc.restoreNewest!(proc.defaultTarget!);
  const [pipeline] = cmd.runInJob(job, argv, "postgres-restore");
  assert.match(pipeline, /^kubectl -n ops-baseline create job --from=cronjob\/postgres-backup postgres-restore /);
  // The patch argument as the shell hands it to kubectl.
  const quoted = /-p ('(?:[^']|'\\'')*') \\\n/.exec(pipeline)![1];
  const patch = JSON.parse(spawnSync("bash", ["-c", `printf '%s' ${quoted}`], { encoding: "utf8" }).stdout) as Array<{
    op: string;
    path: string;
    value: unknown;
  }>;
  // What `kubectl create job --from=cronjob/...` makes: the CronJob's job template as a Job.
  const cron = cronJob(job, ctx);
  const madeJob = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "postgres-restore" },
    spec: structuredClone(cron.spec.jobTemplate.spec),
  };
  for (const op of patch) {
    assert.equal(op.op, "replace");
    jsonPatchReplace(madeJob, op.path, op.value);
  }
  const container = madeJob.spec.template.spec.containers[0];
  assert.equal(container.name, job.name);
  assert.deepEqual(container.command, argv);
  assert.ok(
    (madeJob.spec.template.spec.volumes as Array<{ persistentVolumeClaim?: { claimName: string } }>).some(
      (v) => v.persistentVolumeClaim?.claimName === "postgres-backup-backups",
    ),
    "the restore pod mounts the backup claim",
  );
  assert.ok(
    container.env.some((e: { name: string }) => e.name === "PGPASSWORD"),
    "and has the credentials",
  );
});

test("every alert section says what to do with at least one command for the target", () => {
  for (const t of targets) {
    const runbook = stackDocs(t).get("RUNBOOK.md")!;
    const sections = runbook.split(/\n(?=<a id="[^"]+"><\/a>\n\n#### )/).slice(1);
    // An example system that disables the catalogue's alerts it has no metrics for has fewer.
    assert.ok(sections.length > 10, `${t.relFile}: alert sections`);
    for (const section of sections) {
      const name = /#### (\S+)/.exec(section)![1];
      const todo = section.slice(
        section.indexOf("**What to do.**"),
        section.search(/\n<a id="[^"]+"><\/a>\n\n#{2,3} /) >>> 0,
      );
      assert.match(todo, /```sh\n\S/, `${t.relFile}: ${name} has a command under "What to do"`);
    }
  }
});

test("alert overrides and disabled alerts show in the runbook; a stack without monitoring says so", () => {
  const { config, plan, docs } = withEdit("prod", (c) => {
    const alerts = c["ops-baseline:alerts"] as Record<string, unknown>;
    alerts.overrides = { ErrorRateWarning: { threshold: 2, for: "10m" }, CpuUsageWarning: { disabled: true } };
  });
  const runbook = docs.get("RUNBOOK.md")!;
  assert.match(
    runbook,
    /#### ErrorRateWarning\n\n\| severity \| for \| threshold \| summary \|\n\|---\|---\|---\|---\|\n\| warning \| 10m \| 2 percent \|/,
  );
  assert.match(
    runbook,
    /rate\(http_requests_total\{job="api",route!~"\/health\|\/ready\|\/metrics"\}\[5m\]\)\) \* 100 > 2'\n/,
  );
  assert.doesNotMatch(runbook, /cpuusagewarning/);
  assert.deepEqual(
    renderedRules(plan).filter((r) => r.alert === "CpuUsageWarning"),
    [],
    "the disabled alert is not rendered either",
  );
  assert.ok(config);

  const bare = withEdit("dev", (c) => {
    const m = (c["ops-baseline:monitoring"] ?? {}) as Record<string, unknown>;
    c["ops-baseline:monitoring"] = { ...m, enabled: false };
  });
  const ops = bare.docs.get("OPERATIONS.md")!;
  assert.match(ops, /Monitoring and alerting: `monitoring\.enabled` is false in this stack\./);
  assert.match(bare.docs.get("RUNBOOK.md")!, /no alert reaches anyone/);
  assert.doesNotMatch(bare.docs.get("RUNBOOK.md")!, /curl -s/);
  for (const content of bare.docs.values())
    assert.deepEqual(commandNameProblems(content, bare.config, bare.plan, "dev"), []);
});

test("npm run docs: a bad stack file fails with the loader's message and writes nothing", () => {
  const cli = path.join(REPO_ROOT, "dist", "tools", "docs", "cli.js");
  const missing = spawnSync(process.execPath, [cli, "nosuchstack"], { encoding: "utf8", cwd: REPO_ROOT });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^Pulumi\.nosuchstack\.yaml: no such stack file\n$/);
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, ".tmp-opsdocs-"));
  try {
    const file = path.join(dir, "Pulumi.dev.yaml");
    fs.writeFileSync(file, readStackFileText("dev"));
    const r = spawnSync(process.execPath, [cli, file], { encoding: "utf8", cwd: REPO_ROOT });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Pulumi\.dev\.yaml has 2 problems; nothing was deployed:/);
    assert.match(
      r.stderr,
      /ops-baseline:services\.api\.runbook\.file: names docs\/runbooks\/api\.md, which does not exist/,
    );
    assert.equal(fs.existsSync(path.join(dir, "docs")), false, "nothing written");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an engine's alert section names only that engine's stores: no redis-cli under PostgresDown", () => {
  const runbook = stackDocs(docsTarget("Pulumi.prod.yaml")).get("RUNBOOK.md")!;
  const section = (name: string) => {
    const start = runbook.indexOf(`#### ${name}\n`);
    assert.ok(start >= 0, `${name} has a section`);
    const end = runbook.indexOf("\n#### ", start + 1);
    return runbook.slice(start, end < 0 ? undefined : end);
  };
  for (const name of ["PostgresDown", "PostgresConnectionsWarning"]) {
    assert.match(section(name), /For `postgres`:/);
    assert.doesNotMatch(section(name), /For `redis`:|redis-cli/, name);
  }
  for (const name of ["RedisDown", "RedisConnectionsWarning"]) {
    assert.match(section(name), /For `redis`:/);
    assert.doesNotMatch(section(name), /For `postgres`:|psql/, name);
  }
});

test("OPERATIONS.md states the point-in-time recovery the stack has and where each backup lives", () => {
  const prod = stackDocs(docsTarget("Pulumi.prod.yaml")).get("OPERATIONS.md")!;
  const prodConfig = loadTargetConfig(docsTarget("Pulumi.prod.yaml"));
  const repo = prodConfig.backup.pitr.repository;
  assert.equal(repo.type, "s3");
  // The pgBackRest row, with the recovery point the stack file sets.
  assert.match(prod, /\| postgres-pitr \| pgBackRest \| WAL continuously; .* \| up to 1m of changes/);
  assert.match(prod, new RegExp(`S3 bucket \`${repo.type === "s3" ? repo.bucket : ""}\`.*so it survives the target`));
  // Only the stores without it are said to lack point-in-time recovery.
  assert.match(prod, /No point-in-time recovery for `redis`:/);
  assert.doesNotMatch(prod, /No point-in-time recovery for [^:]*`postgres`/);
  const dev = stackDocs(docsTarget("Pulumi.dev.yaml")).get("OPERATIONS.md")!;
  assert.match(dev, /the pgBackRest repository is a \d+Gi volume of the target, so it is lost with the target/);
  // A stack without PostgreSQL has no pgBackRest row at all.
  const rtt = stackDocs(docsTarget("examples/rtt/Pulumi.dev.yaml")).get("OPERATIONS.md")!;
  assert.doesNotMatch(rtt, /pgBackRest/);
});
