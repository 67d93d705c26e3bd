// Finds and runs the real command-line tools the tests drive (promtool, amtool, logrotate, the
// PostgreSQL binaries). A missing tool fails the test with the command that installs it.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";

const INSTALL: Record<string, string> = {
  promtool: "apt-get install prometheus",
  amtool: "apt-get install prometheus-alertmanager",
  logrotate: "apt-get install logrotate",
  pg_ctl: "apt-get install postgresql",
};

export function requireTool(name: string, candidates: string[] = [`/usr/bin/${name}`]): string {
  const found = candidates.find((c) => fs.existsSync(c));
  if (found) return found;
  const which = spawnSync("which", [name], { encoding: "utf8" });
  if (which.status === 0) return which.stdout.trim();
  throw new Error(`${name} is not installed; run: bash scripts/setup.sh (or ${INSTALL[name] ?? `install ${name}`})`);
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
