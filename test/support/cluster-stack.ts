// A stack derived from the repository's Pulumi.prod.yaml, run through the real Pulumi engine
// against a real kube-apiserver (test/support/kube-apiserver.ts): renderYamlToDirectory is
// replaced by target.skipAwait (no kubelet runs, so the provider must not wait for pods to
// become ready: readiness, rollouts and claim binding are not checked), and `edit` may change
// the text further (another stack name, a profile). The stack file lives in a temporary
// directory, never beside the repository's own stack files.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engine, type Engine } from "./engine";
import { startApiServer, type ApiServer } from "./kube-apiserver";
import { readStackFileText } from "./stack-files";

/** The example passphrase the repository's prod placeholders are encrypted with. */
export const PROD_PASSPHRASE = "ops-baseline-example";

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** stdout and stderr together. */
  output: string;
}

export interface ClusterStack {
  api: ApiServer;
  pulumi: Engine;
  stack: string;
  configFile: string;
  /** A pulumi command on the stack, with its wall time and stdout + stderr together. */
  command(args: string[], timeoutMs?: number): CommandResult;
  stop(): Promise<void>;
}

/** Pulumi.prod.yaml pointed at an API server instead of a render directory. */
export function clusterStackText(edit: (text: string) => string = (t) => t): string {
  const text = readStackFileText("prod");
  const local = text.replace(
    /\n {4}# Cluster-less preview[^\n]*\n(?: {4}#[^\n]*\n)*? {4}renderYamlToDirectory: [^\n]+\n/,
    "\n    skipAwait: true\n",
  );
  assert.notEqual(local, text, "Pulumi.prod.yaml renders to a directory; the test points it at the API server");
  return edit(local);
}

export async function startClusterStack(stack: string, edit?: (text: string) => string): Promise<ClusterStack> {
  const api = await startApiServer();
  // The provider reads the cluster from KUBECONFIG (the stack sets no kubernetes:kubeconfig).
  process.env.KUBECONFIG = api.kubeconfig;
  const pulumi = engine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ops-baseline-${stack}-`));
  const configFile = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(configFile, clusterStackText(edit));
  // `stack init` takes no --config-file: run it in a project directory of its own, where it finds
  // this file (and its encryption salt) instead of writing one beside the repository's stacks.
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: ops-baseline\nruntime: nodejs\n");
  const init = pulumi.run(["stack", "init", stack], { passphrase: PROD_PASSPHRASE, cwd: dir });
  assert.equal(init.status, 0, init.stderr);
  return {
    api,
    pulumi,
    stack,
    configFile,
    command(args, timeoutMs = 600_000) {
      const started = Date.now();
      const result = pulumi.run([...args, "--stack", stack, "--config-file", configFile], {
        passphrase: PROD_PASSPHRASE,
        timeoutMs,
      });
      const { status, stdout, stderr } = result;
      return { status, stdout, stderr, seconds: (Date.now() - started) / 1000, output: stdout + stderr };
    },
    async stop() {
      pulumi.cleanup();
      await api.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
