// Golden files: the rendered configuration of each stack, kept in test/golden/<stack>/ so a
// reviewer sees what a change does to the real prometheus.yml, rule files and alertmanager.yml.
// `npm run golden` rewrites them; test/golden.test.ts fails when they are stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { renderPromtoolTests } from "../../components/alerts/promtool-tests";
import type { StackConfig } from "../../stacks/config/schema";
import { planEnvironment } from "../../stacks/plan";
import { allDocsTargets, writeStackDocs } from "../../tools/docs/stacks";
import { exampleStacks, loadExample } from "./examples";
import { loadRepoStack, REPO_ROOT, STACKS } from "./stack-files";

export const GOLDEN_DIR = path.join(REPO_ROOT, "test", "golden");

/** Relative path -> content of every golden file of a stack. */
export function goldenFiles(stack: string): Map<string, string> {
  return goldenFilesOf(loadRepoStack(stack));
}

/** Relative path -> content of every golden file of a validated stack file (also an example's). */
export function goldenFilesOf(config: StackConfig): Map<string, string> {
  const plan = planEnvironment(config);
  const files = new Map<string, string>();
  if (plan.monitoring) {
    files.set("prometheus.yml", plan.monitoring.prometheusConfig);
    files.set("alertmanager.yml", plan.monitoring.alertmanagerConfig);
    for (const rule of plan.monitoring.ruleFiles) files.set(`rules/${rule.name}`, rule.content);
    const ctx = plan.monitoring.context;
    files.set(
      "rules/promtool-tests.yml",
      renderPromtoolTests(
        config.alerts,
        ctx,
        plan.monitoring.ruleFiles.map((f) => f.name),
      ),
    );
  }
  for (const w of [...plan.workloads, ...plan.jobs]) {
    for (const f of w.files) {
      // Prometheus and Alertmanager configuration have their own golden files above.
      if (f.path.startsWith("/etc/prometheus/") || f.path.startsWith("/etc/alertmanager/")) continue;
      files.set(`files/${w.name}${f.path}`, f.content);
    }
  }
  return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** The alert context the plan used (services and monitoring workloads of the stack). */
/** The alert context the stack's rules were rendered with (the monitoring concern's own). */
export function planContext(stack: string) {
  const plan = planEnvironment(loadRepoStack(stack));
  if (!plan.monitoring) throw new Error(`${stack} has no monitoring`);
  return plan.monitoring.context;
}

/** Golden directory of each example system's stack file: test/golden/examples/<system>/<stack>/. */
export const EXAMPLES_GOLDEN_DIR = path.join(GOLDEN_DIR, "examples");

export function writeGoldenFiles(): string[] {
  const written: string[] = [];
  const sets: Array<[string, Map<string, string>]> = [
    ...STACKS.map((stack): [string, Map<string, string>] => [path.join(GOLDEN_DIR, stack), goldenFiles(stack)]),
    ...exampleStacks().map((e): [string, Map<string, string>] => [
      path.join(EXAMPLES_GOLDEN_DIR, e.id),
      goldenFilesOf(loadExample(e)),
    ]),
  ];
  fs.rmSync(EXAMPLES_GOLDEN_DIR, { recursive: true, force: true });
  for (const [dir, files] of sets) {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [rel, content] of files) {
      const file = path.join(dir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      written.push(path.relative(REPO_ROOT, file));
    }
  }
  return written;
}

if (require.main === module) {
  const written = writeGoldenFiles();
  console.log(`wrote ${written.length} golden files under test/golden/`);
  // The generated operations documents are golden files too (test/opsdocs.test.ts).
  const docs = allDocsTargets().flatMap(writeStackDocs);
  console.log(`wrote ${docs.length} operations documents (docs/stacks/, examples/*/docs/)`);
}
