// A real one-node Kubernetes cluster for the tests (scripts/cluster.sh): containerd, etcd, the
// control plane, kubelet and kube-proxy as processes on this machine, with CoreDNS,
// kube-network-policies and local-path-provisioner. startCluster() reuses a running one (and then
// leaves it running) or brings one up (and stop() takes it down again).
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { apiRequester, type ApiObject, type ApiResponse } from "./kube-apiserver";
import { REPO_ROOT } from "./stack-files";

const SCRIPT = path.join(REPO_ROOT, "scripts/cluster.sh");

export type ClusterTool =
  | "kubelet"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kube-proxy"
  | "kubectl"
  | "coredns"
  | "kube-network-policies"
  | "local-path-provisioner"
  | "pause";

/** A binary of toolchain/cluster/install.sh, or undefined when it is not built. */
export function clusterTool(name: ClusterTool): string | undefined {
  const result = spawnSync("bash", [path.join(REPO_ROOT, "toolchain/cluster/install.sh"), "--print", name], {
    encoding: "utf8",
  });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}

/** Why the cluster cannot be started here, or undefined when it can (its binaries are built). */
export function clusterUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "the test cluster needs root";
  for (const t of ["kubelet", "kubectl", "coredns", "kube-network-policies", "local-path-provisioner"] as const) {
    if (!clusterTool(t)) return `${t} is not built; run: bash toolchain/cluster/install.sh`;
  }
  return undefined;
}

/** The full reference of one of toolchain/cluster/images.sh's local images. */
export function clusterImage(name: string): string {
  const result = spawnSync("bash", [path.join(REPO_ROOT, "toolchain/cluster/images.sh"), "--ref", name], {
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`no image ${name}: ${result.stderr}`);
  return result.stdout.trim();
}

export interface Cluster {
  /** The state directory of scripts/cluster.sh. */
  dir: string;
  kubeconfig: string;
  url: string;
  /** Seconds `cluster.sh up` took, or 0 when a running cluster was reused. */
  startSeconds: number;
  /** A request to kube-apiserver as the cluster admin (JSON in and out, like kubectl's). */
  request(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  /** Runs the built kubectl against the cluster; rejects on a non-zero exit. */
  kubectl(args: string[], input?: string): Promise<string>;
  stop(): Promise<void>;
}

function runScript(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Brings the cluster up (or reuses the one that answers) and returns a client for it. */
export async function startCluster(): Promise<Cluster> {
  const dir = process.env.OPS_BASELINE_CLUSTER_DIR ?? "/tmp/ops-baseline-cluster";
  const status = await runScript(["status"], 30_000);
  let startSeconds = 0;
  const ours = status.code !== 0;
  if (ours) {
    const started = Date.now();
    const up = await runScript(["up"], 600_000);
    if (up.code !== 0) {
      await runScript(["down"], 120_000);
      throw new Error(`scripts/cluster.sh up failed (exit ${up.code}):\n${up.output.slice(-8000)}`);
    }
    startSeconds = (Date.now() - started) / 1000;
  }
  // The images of this checkout (the workload's tag follows its source): imported when missing.
  const images = spawnSync(
    "bash",
    [path.join(REPO_ROOT, "toolchain/cluster/images.sh"), "--import", path.join(dir, "containerd/containerd.sock")],
    { encoding: "utf8" },
  );
  if (images.status !== 0) throw new Error(`toolchain/cluster/images.sh --import failed:\n${images.stderr}`);
  const kubeconfig = path.join(dir, "admin.kubeconfig");
  const config = parseYaml(fs.readFileSync(kubeconfig, "utf8"));
  const url: string = config.clusters[0].cluster.server;
  const ca = fs.readFileSync(config.clusters[0].cluster["certificate-authority"]);
  const token: string = config.users[0].user.token;
  const kubectlBin = clusterTool("kubectl")!;

  const request = apiRequester(url, token, () => ca, 30_000);

  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(kubectlBin, ["--kubeconfig", kubeconfig, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("error", reject);
      child.on("exit", (code) =>
        code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(" ")}: exit ${code}\n${err}${out}`)),
      );
      child.stdin.end(input ?? "");
    });

  const stop = async () => {
    // A cluster that was running before the test stays running; OPS_BASELINE_CLUSTER_KEEP=1 keeps ours.
    if (!ours || process.env.OPS_BASELINE_CLUSTER_KEEP === "1") return;
    const down = await runScript(["down"], 120_000);
    if (down.code !== 0) throw new Error(`scripts/cluster.sh down failed:\n${down.output}`);
  };
  return { dir, kubeconfig, url, startSeconds, request, kubectl, stop };
}

/** Polls `check` every half second until it returns a value other than undefined. */
export async function waitUntil<T>(what: string, seconds: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${seconds} s${last ? ` (last error: ${last})` : ""}`);
}

/** Waits for the namespace's `default` ServiceAccount: its admission refuses pods until then. */
export async function defaultServiceAccount(cluster: Cluster, namespace: string): Promise<void> {
  await waitUntil(`the default ServiceAccount of ${namespace}`, 30, async () =>
    (await cluster.request("GET", `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status === 200
      ? true
      : undefined,
  );
}

/** A Ready pod matching `selector`; on a timeout the error lists the namespace's pods, claims and events. */
export async function readyPod(
  cluster: Cluster,
  namespace: string,
  selector: string,
  seconds = 120,
): Promise<ApiObject> {
  return waitUntil(`a ready pod of ${selector} in ${namespace}`, seconds, async () => {
    const pods = (
      await cluster.request("GET", `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`)
    ).body.items as ApiObject[];
    return pods.find((p) => p.status.conditions?.some((c: ApiObject) => c.type === "Ready" && c.status === "True"));
  }).catch(async (err) => {
    const state = await cluster.kubectl(["-n", namespace, "get", "pods,pvc,events", "-o", "wide"]).catch(() => "");
    throw new Error(`${err.message}\n${state}`);
  });
}
