// The shape of the code, measured: import cycles (madge), imports from a layer into one above it,
// and the largest files and functions (the TypeScript compiler API). `npm run -s code-shape`
// prints it; test/code-shape.test.ts holds the rules.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

// madge ships no types of its own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const madge = require("madge") as (
  paths: string[],
  config: Record<string, unknown>,
) => Promise<{ circular(): string[][]; obj(): Record<string, string[]> }>;

export interface CodeShape {
  cycles: string[][];
  /** `components/...` modules that import a module under `stacks/`. */
  componentsToStacks: Array<{ from: string; to: string }>;
  largestFiles: Array<{ file: string; lines: number }>;
  largestFunctions: Array<{ file: string; name: string; lines: number }>;
}

const SOURCE_DIRS = ["components", "stacks"];

function isSource(file: string): boolean {
  return file.endsWith(".ts") && !file.endsWith(".test.ts") && !file.endsWith(".d.ts");
}

function sourceFiles(root: string, dir: string): string[] {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return [];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(root, path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter(isSource)
    .sort();
}

function functionName(node: ts.Node, source: ts.SourceFile): string | undefined {
  if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node))
    return node.name?.getText(source) ?? "(anonymous)";
  if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent)) {
    return node.parent.name.getText(source);
  }
  if (ts.isConstructorDeclaration(node)) return "constructor";
  return undefined;
}

/** Lines of every named function, method and function-valued const of one file. */
export function functionSizes(file: string, text: string): Array<{ name: string; lines: number }> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const sizes: Array<{ name: string; lines: number }> = [];
  const visit = (node: ts.Node) => {
    const name = functionName(node, source);
    if (name !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      sizes.push({ name, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sizes;
}

export async function measureCodeShape(root: string, top = 8): Promise<CodeShape> {
  const files = SOURCE_DIRS.flatMap((d) => sourceFiles(root, d));
  const graph = await madge(
    files.map((f) => path.join(root, f)),
    {
      baseDir: root,
      fileExtensions: ["ts"],
      tsConfig: path.join(root, "tsconfig.json"),
      excludeRegExp: [/\.test\.ts$/, /(^|\/)(dist|node_modules)\//],
    },
  );
  const imports = graph.obj();
  const componentsToStacks = Object.entries(imports)
    .filter(([from]) => from.startsWith("components/"))
    .flatMap(([from, tos]) => tos.filter((to) => to.startsWith("stacks/")).map((to) => ({ from, to })))
    .sort((a, b) => `${a.from} ${a.to}`.localeCompare(`${b.from} ${b.to}`));
  const texts = files.map((file) => ({ file, text: fs.readFileSync(path.join(root, file), "utf8") }));
  const largestFiles = texts
    .map(({ file, text }) => ({ file, lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0) }))
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file))
    .slice(0, top);
  const largestFunctions = texts
    .flatMap(({ file, text }) => functionSizes(file, text).map((f) => ({ file, ...f })))
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file))
    .slice(0, top);
  return { cycles: graph.circular(), componentsToStacks, largestFiles, largestFunctions };
}

export function formatCodeShape(shape: CodeShape): string {
  const lines = [`import cycles: ${shape.cycles.length}`];
  for (const cycle of shape.cycles) lines.push(`  ${cycle.join(" > ")}`);
  lines.push(`imports from components/ into stacks/: ${shape.componentsToStacks.length}`);
  for (const { from, to } of shape.componentsToStacks) lines.push(`  ${from} -> ${to}`);
  lines.push("largest files (lines):");
  for (const { file, lines: n } of shape.largestFiles) lines.push(`  ${String(n).padStart(5)}  ${file}`);
  lines.push("largest functions (lines):");
  for (const { file, name, lines: n } of shape.largestFunctions) {
    lines.push(`  ${String(n).padStart(5)}  ${file} ${name}`);
  }
  return `${lines.join("\n")}\n`;
}
