// `ops-baseline init [dir] [--example <name>] [--from <tarball>] [--force]`: writes a new Pulumi
// project that uses the installed package. The stack file is this package's dev stack file (or
// an example's), its build contexts rewritten to the package's copy in node_modules and the
// files it attaches (runbook text) copied beside it.
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, parseDocument, visit } from "yaml";

export const PACKAGE_NAME = "ops-baseline";
/** Where the package sits in the new project, relative to it. */
export const INSTALLED = `node_modules/${PACKAGE_NAME}`;
export const SCHEMA_LINE = `# yaml-language-server: $schema=${INSTALLED}/schema/stack-file.schema.json`;

export class InitError extends Error {}

export interface InitOptions {
  dir: string;
  example?: string;
  from?: string;
  force: boolean;
}

export const USAGE = "usage: ops-baseline init [dir] [--example <name>] [--from <tarball>] [--force]";

/** The options of `init`'s arguments (after the word `init`); throws InitError on a bad one. */
export function parseInitArgs(args: string[], cwd: string = process.cwd()): InitOptions {
  let dir: string | undefined;
  let example: string | undefined;
  let from: string | undefined;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) throw new InitError(`${arg} needs a value; ${USAGE}`);
      return v;
    };
    if (arg === "--example") example = value();
    else if (arg === "--from") from = path.resolve(cwd, value());
    else if (arg === "--force") force = true;
    else if (arg.startsWith("-")) throw new InitError(`unknown option ${arg}; ${USAGE}`);
    else if (dir === undefined) dir = arg;
    else throw new InitError(`one directory only, got ${dir} and ${arg}; ${USAGE}`);
  }
  return { dir: path.resolve(cwd, dir ?? "."), example, from, force };
}

/** The example systems shipped in the package (examples/<name>/Pulumi.dev.yaml). */
export function exampleNames(packageDir: string): string[] {
  const dir = path.join(packageDir, "examples");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => fs.existsSync(path.join(dir, n, "Pulumi.dev.yaml")))
    .sort();
}

/** Writes the project; returns the paths written, relative to the project directory. */
export function init(options: InitOptions, packageDir: string): string[] {
  const source = stackFileSource(options.example, packageDir);
  if (options.from !== undefined && !fs.existsSync(options.from)) {
    throw new InitError(`--from ${options.from}: no such file`);
  }
  if (fs.existsSync(options.dir)) {
    if (!fs.statSync(options.dir).isDirectory()) throw new InitError(`${options.dir} is not a directory`);
    const entries = fs.readdirSync(options.dir);
    if (entries.length > 0 && !options.force) {
      throw new InitError(
        `${options.dir} is not empty (${entries.slice(0, 5).join(", ")}); pass --force to write into it`,
      );
    }
  }
  const version = (JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string })
    .version;
  const deps = packageDependencies(packageDir);
  const name = projectName(options.dir);
  const { text, attached } = rewriteStackFile(fs.readFileSync(source.file, "utf8"));
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify(
      {
        name,
        version: "0.0.0",
        private: true,
        main: "dist/index.js",
        scripts: {
          build: "tsc -p tsconfig.json",
          preview: "npm run -s build && pulumi preview --stack dev",
          up: "npm run -s build && pulumi up --stack dev",
        },
        dependencies: {
          [PACKAGE_NAME]: options.from !== undefined ? `file:${options.from}` : `^${version}`,
          "@pulumi/pulumi": deps["@pulumi/pulumi"],
        },
        devDependencies: { "@types/node": deps["@types/node"], typescript: deps.typescript },
      },
      null,
      2,
    )}\n`,
    "Pulumi.yaml": [
      `name: ${name}`,
      `description: A service's operational baseline, declared with ${PACKAGE_NAME}.`,
      "runtime:",
      "  name: nodejs",
      "  options:",
      "    # `npm run build` compiles index.ts to dist/index.js (package.json main).",
      "    typescript: false",
      "",
    ].join("\n"),
    "index.ts": [
      `// The Pulumi program: reads Pulumi.<stack>.yaml from this directory and declares the environment.`,
      `import { runProgram } from "${PACKAGE_NAME}";`,
      "",
      "// The engine runs the program in the project directory, where the stack files are.",
      "const outputs = runProgram();",
      "",
      "export const target = outputs.target;",
      "export const endpoints = outputs.endpoints;",
      "export const workloads = outputs.workloads;",
      "export const jobs = outputs.jobs;",
      "",
    ].join("\n"),
    "tsconfig.json": `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "commonjs",
          moduleResolution: "node",
          lib: ["ES2022"],
          types: ["node"],
          outDir: "dist",
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
        },
        files: ["index.ts"],
      },
      null,
      2,
    )}\n`,
    "Pulumi.dev.yaml": text,
    ".gitignore": ["node_modules/", "dist/", ".pulumi-state/", ""].join("\n"),
    ".github/workflows/preview.yml": previewWorkflow(),
  };
  const lock =
    options.from === undefined ? undefined : projectLock(packageDir, name, files["package.json"], options.from);
  if (lock !== undefined) files["package-lock.json"] = lock;
  for (const rel of attached) {
    const from = path.resolve(path.dirname(source.file), rel);
    if (!fs.existsSync(from)) throw new InitError(`${source.label} attaches ${rel}, which the package does not hold`);
    files[rel] = fs.readFileSync(from, "utf8");
  }
  for (const [rel, content] of Object.entries(files)) {
    const out = path.join(options.dir, rel);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, content);
  }
  return Object.keys(files).sort();
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * With --from: a package-lock.json with the versions the package was tested with (its own lock,
 * copied into dist/ when it is packed), so `npm ci` / `npm install --offline` needs nothing the
 * npm cache does not already hold. Undefined when the package carries no lock.
 */
function projectLock(packageDir: string, name: string, packageJson: string, tarball: string): string | undefined {
  const file = path.join(packageDir, "dist", "dependencies.lock.json");
  if (!fs.existsSync(file)) return undefined;
  const source = JSON.parse(fs.readFileSync(file, "utf8")) as { packages: Record<string, LockEntry> };
  const root = JSON.parse(packageJson) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const packages: Record<string, LockEntry> = {
    "": { name, version: "0.0.0", dependencies: root.dependencies, devDependencies: root.devDependencies },
  };
  const own = source.packages[""];
  packages[INSTALLED] = {
    version: own.version,
    resolved: `file:${tarball}`,
    license: own.license,
    dependencies: own.dependencies,
    bin: own.bin,
    engines: own.engines,
  };
  // The package's runtime tree, and the project's own dev tools with what they need.
  const wanted = new Set(Object.keys(source.packages).filter((k) => k !== "" && source.packages[k].dev !== true));
  const visit = (key: string) => {
    if (wanted.has(key) || !(key in source.packages)) return;
    wanted.add(key);
    for (const dep of Object.keys(source.packages[key].dependencies ?? {})) visit(`node_modules/${dep}`);
  };
  for (const dep of Object.keys(root.devDependencies)) visit(`node_modules/${dep}`);
  for (const key of [...wanted].sort()) {
    const entry = { ...source.packages[key] };
    delete entry.dev;
    packages[key] = entry;
  }
  return `${JSON.stringify({ name, version: "0.0.0", lockfileVersion: 3, requires: true, packages }, null, 2)}\n`;
}

function stackFileSource(example: string | undefined, packageDir: string): { file: string; label: string } {
  if (example === undefined) return { file: path.join(packageDir, "Pulumi.dev.yaml"), label: "Pulumi.dev.yaml" };
  const names = exampleNames(packageDir);
  if (!names.includes(example)) {
    throw new InitError(`unknown example "${example}"; the examples are: ${names.join(", ") || "(none)"}`);
  }
  return { file: path.join(packageDir, "examples", example, "Pulumi.dev.yaml"), label: `examples/${example}` };
}

function packageDependencies(packageDir: string): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return { ...pkg.devDependencies, ...pkg.dependencies };
}

function projectName(dir: string): string {
  const base = path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return base || "ops-baseline-project";
}

/**
 * The stack file for the new project: the schema line pointing into node_modules, every build
 * context and Dockerfile prefixed with the package's place (they name the package's images and
 * apps), and the relative `file:` attachments it names (copied by init).
 */
export function rewriteStackFile(text: string): { text: string; attached: string[] } {
  const doc = parseDocument(text);
  const attached = new Set<string>();
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key)) return;
      if (pair.key.value === "build" && isMap(pair.value)) {
        for (const item of pair.value.items) {
          if (
            isScalar(item.key) &&
            ["context", "dockerfile"].includes(String(item.key.value)) &&
            isScalar(item.value)
          ) {
            const rel = String(item.value.value);
            if (!path.isAbsolute(rel)) item.value.value = path.posix.join(INSTALLED, rel);
          }
        }
      }
      if (pair.key.value === "file" && isScalar(pair.value) && typeof pair.value.value === "string") {
        if (!path.isAbsolute(pair.value.value)) attached.add(pair.value.value);
      }
    },
  });
  const body = doc
    .toString({ lineWidth: 0 })
    .split("\n")
    .filter((l) => !l.startsWith("# yaml-language-server:"));
  const note = `# Build contexts below are the package's images and apps, in ${INSTALLED}; builds of your own are relative to this directory.`;
  return { text: [SCHEMA_LINE, note, ...body].join("\n"), attached: [...attached].sort() };
}

/** A pull request's `pulumi preview` of the dev stack, with its passphrase and backend as secrets. */
function previewWorkflow(): string {
  return `# Every pull request: a \`pulumi preview\` of the dev stack. The passphrase and the state backend are
# secrets of the \`preview\` environment; give it required reviewers, as the preview runs the pull
# request's code with them.
name: preview

on:
  pull_request:
    branches: [main]

permissions:
  contents: read

concurrency:
  group: preview-\${{ github.event.pull_request.number }}
  cancel-in-progress: true

jobs:
  preview:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    environment: preview
    env:
      PULUMI_BACKEND_URL: \${{ secrets.PULUMI_BACKEND_URL }}
      PULUMI_CONFIG_PASSPHRASE: \${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
    steps:
      - uses: actions/checkout@v4.2.2
      - uses: actions/setup-node@v4.4.0
        with:
          node-version: 20.19.0
          cache: npm
      - run: npm ci --no-audit --no-fund
      - run: npm run -s build
      - uses: pulumi/actions@v6
        with:
          command: preview
          stack-name: dev
`;
}
