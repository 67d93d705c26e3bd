// Which stack files get operations documents and where they go: the repository's own
// `Pulumi.<stack>.yaml` -> docs/stacks/<stack>/, and every example system's
// `examples/<system>/Pulumi.<stack>.yaml` -> examples/<system>/docs/<stack>/. Any other stack file
// path gets `docs/<stack>/` beside it. Reads files; the rendering itself is pure.
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, loadStackConfig } from "../../stacks/config/load";
import type { StackConfig } from "../../stacks/config/schema";
import { planEnvironment } from "../../stacks/plan";
import { renderStackDocs, type Attachments } from "../../stacks/opsdocs";
import type { AttachedText } from "../../components/alerts/config";
import { REPO_ROOT, stackFileInputFromText } from "../../test/support/stack-files";

export interface StackDocsTarget {
  /** Absolute path of the stack file. */
  file: string;
  /** Relative to the repository root, with forward slashes. */
  relFile: string;
  stack: string;
  /** Absolute directory the three documents are written to. */
  outDir: string;
  relOutDir: string;
  /** A stack file at the repository root (not an example system's). */
  repoStack: boolean;
}

const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;

export function docsTarget(stackFile: string, root: string = REPO_ROOT): StackDocsTarget {
  const rel = (p: string) => path.relative(root, p).split(path.sep).join("/");
  const file = path.resolve(root, stackFile);
  const match = STACK_FILE.exec(path.basename(file));
  if (!match) throw new Error(`${stackFile}: not a stack file (expected a name like Pulumi.<stack>.yaml)`);
  if (!fs.existsSync(file)) throw new Error(`${stackFile}: no such stack file`);
  const stack = match[1];
  const dir = path.dirname(file);
  const outDir = dir === root ? path.join(root, "docs", "stacks", stack) : path.join(dir, "docs", stack);
  return { file, relFile: rel(file), stack, outDir, relOutDir: rel(outDir), repoStack: dir === root };
}

/** A stack name of the repository (`dev`) or a path to any stack file. */
export function resolveStackArg(arg: string): StackDocsTarget {
  return docsTarget(arg.endsWith(".yaml") ? arg : `Pulumi.${arg}.yaml`);
}

/** Every stack file that gets documents: the repository's and every example system's. */
export function allDocsTargets(root: string = REPO_ROOT): StackDocsTarget[] {
  const stackFilesIn = (dir: string) =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => STACK_FILE.test(f))
          .sort()
          .map((f) => path.join(dir, f))
      : [];
  const examples = path.join(root, "examples");
  const systems = fs.existsSync(examples)
    ? fs
        .readdirSync(examples)
        .filter((d) => fs.statSync(path.join(examples, d)).isDirectory())
        .sort()
    : [];
  return [...stackFilesIn(root), ...systems.flatMap((s) => stackFilesIn(path.join(examples, s)))].map((f) =>
    docsTarget(f, root),
  );
}

export function loadTargetConfig(t: StackDocsTarget): StackConfig {
  const input = stackFileInputFromText(t.stack, fs.readFileSync(t.file, "utf8"), path.dirname(t.file));
  return loadStackConfig({ ...input, file: t.relFile });
}

/** Hand-written runbook text the stack file attaches, read from its files. */
export function readAttachments(config: StackConfig, dir: string): Attachments {
  const read = (a: AttachedText | undefined) =>
    a === undefined ? undefined : (a.text ?? fs.readFileSync(path.resolve(dir, a.file!), "utf8"));
  const entries = (pairs: Array<[string, AttachedText | undefined]>) =>
    Object.fromEntries(
      pairs
        .map(([k, a]): [string, string | undefined] => [k, read(a)])
        .filter((p): p is [string, string] => p[1] !== undefined),
    );
  return {
    workloads: entries([
      ...Object.entries(config.services).map(([n, s]): [string, AttachedText | undefined] => [n, s.runbook]),
      ...Object.entries(config.dataStores).map(([n, s]): [string, AttachedText | undefined] => [n, s.runbook]),
    ]),
    alerts: {
      ...entries(Object.entries(config.alerts.runbooks)),
      // Custom alerts carry their runbook text inline (alerts.custom.rules.N.runbook).
      ...Object.fromEntries(
        config.alerts.custom.rules.flatMap((r) => (r.alert && r.runbook ? [[r.alert, r.runbook]] : [])),
      ),
    },
  };
}

/**
 * alerts.runbookBaseUrl must lead to this stack's generated runbook: the path in the repository,
 * or a full URL that ends with it (e.g. a link to the file on the repository's web host).
 */
export function runbookBaseUrlProblem(t: StackDocsTarget, config: StackConfig): string | undefined {
  const expected = `${t.relOutDir}/RUNBOOK.md`;
  const url = config.alerts.runbookBaseUrl;
  if (url === expected || url.endsWith(`/${expected}`)) return undefined;
  return new ConfigError(t.relFile, [
    {
      path: "alerts.runbookBaseUrl",
      message: `is ${JSON.stringify(url)}, but this stack's runbook is generated at ${expected}; set it to that path or to a full URL ending in /${expected}`,
    },
  ]).message;
}

/** File name -> content of the three documents of one stack file. */
export function stackDocs(t: StackDocsTarget): Map<string, string> {
  const config = loadTargetConfig(t);
  const problem = runbookBaseUrlProblem(t, config);
  if (problem) throw new Error(problem);
  return renderStackDocs({
    stack: t.stack,
    stackFile: t.relFile,
    plan: planEnvironment(config),
    attachments: readAttachments(config, path.dirname(t.file)),
    regenerate: `npm run docs -- ${t.repoStack ? t.stack : t.relFile}`,
  });
}

export function writeStackDocs(t: StackDocsTarget): string[] {
  const docs = stackDocs(t);
  fs.mkdirSync(t.outDir, { recursive: true });
  return [...docs].map(([name, content]) => {
    fs.writeFileSync(path.join(t.outDir, name), content);
    return `${t.relOutDir}/${name}`;
  });
}
