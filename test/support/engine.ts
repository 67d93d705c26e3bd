// Runs the real Pulumi engine (from toolchain/install.sh) in a throwaway file backend, for the
// engine and Docker tests. Nothing here touches the developer's own .pulumi-state.
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "./stack-files";

export function toolchainBinDir(): string {
  const result = spawnSync("bash", [path.join(REPO_ROOT, "toolchain/install.sh"), "--print-bin-dir"], {
    encoding: "utf8",
  });
  const dir = result.stdout.trim();
  if (result.status !== 0 || !dir || !fs.existsSync(path.join(dir, "pulumi"))) {
    throw new Error(
      `the Pulumi engine is not installed (toolchain/install.sh --print-bin-dir: ${result.stderr.trim() || "no output"}); run: npm run toolchain`,
    );
  }
  return dir;
}

export interface Engine {
  backendDir: string;
  run(
    args: string[],
    options?: { passphrase?: string; input?: string; timeoutMs?: number; cwd?: string },
  ): SpawnSyncReturns<string>;
  cleanup(): void;
}

export function engine(): Engine {
  const binDir = toolchainBinDir();
  const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-state-"));
  const env = {
    ...process.env,
    PATH: `${binDir}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    PULUMI_HOME: path.join(backendDir, ".pulumi-home"),
  };
  return {
    backendDir,
    run(args, options = {}) {
      return spawnSync("pulumi", [...args, "--non-interactive"], {
        cwd: options.cwd ?? REPO_ROOT,
        encoding: "utf8",
        env: { ...env, PULUMI_CONFIG_PASSPHRASE: options.passphrase ?? "" },
        input: options.input,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 ** 2,
      });
    },
    cleanup() {
      fs.rmSync(backendDir, { recursive: true, force: true });
    },
  };
}

export function compileProgram(): void {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: REPO_ROOT, stdio: "inherit" });
}
