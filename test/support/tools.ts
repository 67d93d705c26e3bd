// Finds and runs the real command-line tools the tests drive (promtool, amtool, logrotate, the
// PostgreSQL binaries). A missing tool fails the test with the command that installs it.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { VERSIONS } from "../../components/monitoring/versions";
import { REPO_ROOT } from "./stack-files";

const INSTALL: Record<string, string> = {
  promtool: "apt-get install prometheus",
  amtool: "apt-get install prometheus-alertmanager",
  logrotate: "apt-get install logrotate",
  pg_ctl: "apt-get install postgresql",
  shellcheck: "apt-get install shellcheck",
};

export function requireTool(name: string, candidates: string[] = [`/usr/bin/${name}`]): string {
  const found = candidates.find((c) => fs.existsSync(c));
  if (found) return found;
  const which = spawnSync("which", [name], { encoding: "utf8" });
  if (which.status === 0) return which.stdout.trim();
  throw new Error(`${name} is not installed; run: bash scripts/setup.sh (or ${INSTALL[name] ?? `install ${name}`})`);
}

/** Binaries of the one version set, built by toolchain/observability.sh: tool -> cache directory. */
const PINNED: Record<string, { dir: string; version: string }> = {
  promtool: { dir: `prometheus-${VERSIONS.prometheus}`, version: VERSIONS.prometheus },
  prometheus: { dir: `prometheus-${VERSIONS.prometheus}`, version: VERSIONS.prometheus },
  amtool: { dir: `alertmanager-${VERSIONS.alertmanager}`, version: VERSIONS.alertmanager },
  alertmanager: { dir: `alertmanager-${VERSIONS.alertmanager}`, version: VERSIONS.alertmanager },
  node_exporter: { dir: `node_exporter-${VERSIONS.nodeExporter}`, version: VERSIONS.nodeExporter },
  "victoria-logs": { dir: `victorialogs-${VERSIONS.victorialogs}`, version: VERSIONS.victorialogs },
  otelcol: { dir: `otelcol-${VERSIONS.otelcol}`, version: VERSIONS.otelcol },
};

/**
 * A tool of the version that runs in both environments (never Debian's older one): the binary
 * toolchain/observability.sh built, checked to report that version.
 */
export function pinnedTool(name: keyof typeof PINNED | string): string {
  const pin = PINNED[name];
  if (!pin) throw new Error(`${name} is not one of the pinned tools (${Object.keys(PINNED).join(", ")})`);
  const cache = process.env.OPS_BASELINE_CACHE ?? path.join(os.homedir(), ".cache", "ops-baseline");
  const file = path.join(cache, pin.dir, name);
  if (!fs.existsSync(file)) {
    const script = name === "otelcol" ? "toolchain/otelcol.sh" : "toolchain/observability.sh";
    throw new Error(`${name} ${pin.version} is not built at ${file}; run: bash ${script}`);
  }
  const version = run(file, name === "victoria-logs" ? ["-version"] : ["--version"]);
  const printed = `${version.stdout}${version.stderr}`;
  if (!printed.includes(pin.version)) {
    throw new Error(`${file} reports "${printed.split("\n")[0]}", expected version ${pin.version}`);
  }
  return file;
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 ** 2, ...options });
}

/** Output of a command that must succeed; otherwise an error with everything it printed. */
export function runOk(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout + result.stderr;
}

/** supercronic, the Docker jobs' scheduler, as toolchain/supercronic.sh built it (setup.sh runs that). */
export function supercronicBinary(): string {
  const found = run("bash", [path.join(REPO_ROOT, "toolchain", "supercronic.sh"), "--print"]);
  if (found.status !== 0)
    throw new Error("supercronic is not built; run: bash toolchain/supercronic.sh (scripts/setup.sh does)");
  return found.stdout.trim();
}
