// actionlint keeps the workflows clean: the pinned actionlint (toolchain/actionlint.sh, which
// scripts/setup.sh runs) checks every workflow of this repository and the preview workflow that
// `ops-baseline init` writes into a new project: syntax, events, expressions and their types, job
// and step outputs, runner labels (.github/actionlint.yaml names the self-hosted one) and, through
// shellcheck, every `run:` script. A broken workflow shows that each of those checks reports.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { init } from "../../tools/init/init";
import { REPO_ROOT } from "../support/stack-files";
import { requireTool, run } from "../support/tools";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");

interface Finding {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

function actionlintBinary(): string {
  const found = run("bash", [path.join(REPO_ROOT, "toolchain", "actionlint.sh"), "--print"]);
  if (found.status !== 0)
    throw new Error("actionlint is not built; run: bash toolchain/actionlint.sh (scripts/setup.sh does)");
  return found.stdout.trim();
}

/** actionlint on the files (relative to cwd), shellcheck checking the `run:` scripts: exit status, findings. */
function actionlint(cwd: string, files: string[], args: string[] = []): { status: number | null; findings: Finding[] } {
  // Named explicitly: actionlint skips the scripts without a word when shellcheck is not on PATH.
  const shellcheck = requireTool("shellcheck");
  const r = run(
    actionlintBinary(),
    ["-no-color", `-shellcheck=${shellcheck}`, "-format", "{{json .}}", ...args, ...files],
    {
      cwd,
    },
  );
  // 0: clean, 1: problems found; anything else is actionlint failing (bad option, unreadable file).
  assert.ok(r.status === 0 || r.status === 1, `actionlint exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  const findings = JSON.parse(r.stdout || "[]") as Finding[];
  // By line, then kind (actionlint orders a line's findings by column).
  findings.sort((a, b) => a.line - b.line || a.kind.localeCompare(b.kind));
  return { status: r.status, findings };
}

function report(findings: Finding[]): string {
  return findings.map((f) => `${f.filepath}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join("\n");
}

test("every workflow of the repository passes actionlint, its run: scripts through shellcheck", () => {
  const files = fs
    .readdirSync(WORKFLOWS)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(".github", "workflows", f));
  const names = files.map((f) => path.basename(f));
  for (const name of ["deploy.yml", "drift.yml", "images.yml", "preview.yml"]) assert.ok(names.includes(name), name);
  // From the repository's root, so actionlint reads .github/actionlint.yaml (the self-hosted label).
  const { status, findings } = actionlint(REPO_ROOT, files);
  assert.equal(status, 0, `actionlint found:\n${report(findings)}`);
  assert.deepEqual(findings, []);
});

test("the preview workflow that ops-baseline init writes passes actionlint", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-init-actionlint-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const written = init({ dir, force: false }, REPO_ROOT);
  const workflows = written.filter((f) => f.startsWith(".github/workflows/"));
  assert.deepEqual(workflows, [".github/workflows/preview.yml"]);
  const { status, findings } = actionlint(dir, workflows);
  assert.equal(status, 0, `actionlint found in the workflow init writes:\n${report(findings)}`);
  assert.deepEqual(findings, []);
});

test("actionlint reports a broken workflow: an unknown event, an undefined step output, an unknown runner label, an unquoted variable", (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-actionlint-broken-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, ".github", "workflows"), { recursive: true });
  const file = path.join(".github", "workflows", "broken.yml");
  fs.writeFileSync(
    path.join(dir, file),
    [
      "name: broken",
      "on:",
      "  pull_requestt:",
      "jobs:",
      "  a:",
      "    runs-on: [self-hosted, ops-baseline-dev]",
      "    steps:",
      "      - id: real",
      '        run: echo "x=1" >> "$GITHUB_OUTPUT"',
      '      - run: echo "${{ steps.nope.outputs.x }}" $RUNNER_TEMP',
      "",
    ].join("\n"),
  );
  const { status, findings } = actionlint(dir, [file]);
  assert.equal(status, 1, report(findings));
  const found = findings.map((f) => `${f.line} ${f.kind}`);
  assert.deepEqual(found, ["3 events", "6 runner-label", "10 expression", "10 shellcheck"], report(findings));
  assert.match(findings[0].message, /unknown Webhook event "pull_requestt"/);
  assert.match(findings[1].message, /label "ops-baseline-dev" is unknown/);
  assert.match(findings[2].message, /property "nope" is not defined/);
  assert.match(findings[3].message, /SC2086/);

  // With the repository's .github/actionlint.yaml the self-hosted label is known; the rest stays.
  const withConfig = actionlint(dir, [file], ["-config-file", path.join(REPO_ROOT, ".github", "actionlint.yaml")]);
  assert.deepEqual(
    withConfig.findings.map((f) => `${f.line} ${f.kind}`),
    ["3 events", "10 expression", "10 shellcheck"],
    report(withConfig.findings),
  );
});
