// A real Kubernetes control plane for the tests: etcd and kube-apiserver (built by
// toolchain/kube/install.sh) on loopback, with RBAC, Pod Security admission and a static admin
// token. No kubelet, scheduler or controller manager runs: objects are stored and admitted,
// pods are never started.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "./stack-files";

export type ApiObject = Record<string, any>;

export function kubeTool(name: "kube-apiserver" | "etcd" | "cyclonus"): string {
  const result = spawnSync("bash", [path.join(REPO_ROOT, "toolchain/kube/install.sh"), "--print", name], {
    encoding: "utf8",
  });
  const found = result.stdout.trim();
  if (result.status !== 0 || !found) {
    throw new Error(`${name} is not built yet; run: bash scripts/setup.sh (or bash toolchain/kube/install.sh)`);
  }
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ApiResponse {
  status: number;
  body: ApiObject;
  warnings: string[];
}

export interface ApiServer {
  url: string;
  token: string;
  /** Seconds from spawning etcd to /readyz answering ok. */
  startSeconds: number;
  /** A kubeconfig file for clients (the Pulumi provider). */
  kubeconfig: string;
  request(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<ApiResponse>;
  stop(): Promise<void>;
}

/**
 * Requests to an API server with a bearer token, trusting the certificate `ca` reads (at each
 * request: kube-apiserver writes its self-signed one only once it starts): JSON in and out (a body that is
 * not JSON comes back as `{ text }`), with the server's warnings. `timeoutMs` ends a request that
 * gets no answer.
 */
export function apiRequester(url: string, token: string, ca: () => Buffer, timeoutMs?: number): ApiServer["request"] {
  return (method, urlPath, body, contentType = "application/json") =>
    new Promise<ApiResponse>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        `${url}${urlPath}`,
        {
          method,
          ca: ca(),
          ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(payload ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => {
            let parsed: ApiObject;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { text };
            }
            const w = res.headers.warning;
            resolve({
              status: res.statusCode ?? 0,
              body: parsed,
              warnings: (Array.isArray(w) ? w : w ? [w] : []).map(String),
            });
          });
        },
      );
      req.on("timeout", () =>
        req.destroy(new Error(`${method} ${urlPath}: no answer within ${Math.round((timeoutMs ?? 0) / 1000)} s`)),
      );
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
}

/** API paths of the kinds the project renders. */
const RESOURCES: Record<string, { group: string; plural: string; namespaced: boolean }> = {
  Namespace: { group: "api/v1", plural: "namespaces", namespaced: false },
  ServiceAccount: { group: "api/v1", plural: "serviceaccounts", namespaced: true },
  ConfigMap: { group: "api/v1", plural: "configmaps", namespaced: true },
  Secret: { group: "api/v1", plural: "secrets", namespaced: true },
  Service: { group: "api/v1", plural: "services", namespaced: true },
  PersistentVolumeClaim: { group: "api/v1", plural: "persistentvolumeclaims", namespaced: true },
  Pod: { group: "api/v1", plural: "pods", namespaced: true },
  Deployment: { group: "apis/apps/v1", plural: "deployments", namespaced: true },
  StatefulSet: { group: "apis/apps/v1", plural: "statefulsets", namespaced: true },
  DaemonSet: { group: "apis/apps/v1", plural: "daemonsets", namespaced: true },
  CronJob: { group: "apis/batch/v1", plural: "cronjobs", namespaced: true },
  PodDisruptionBudget: { group: "apis/policy/v1", plural: "poddisruptionbudgets", namespaced: true },
  NetworkPolicy: { group: "apis/networking.k8s.io/v1", plural: "networkpolicies", namespaced: true },
  Ingress: { group: "apis/networking.k8s.io/v1", plural: "ingresses", namespaced: true },
  Role: { group: "apis/rbac.authorization.k8s.io/v1", plural: "roles", namespaced: true },
  RoleBinding: { group: "apis/rbac.authorization.k8s.io/v1", plural: "rolebindings", namespaced: true },
  ClusterRole: { group: "apis/rbac.authorization.k8s.io/v1", plural: "clusterroles", namespaced: false },
  ClusterRoleBinding: { group: "apis/rbac.authorization.k8s.io/v1", plural: "clusterrolebindings", namespaced: false },
};

export function objectPath(obj: ApiObject, namespaceForCollection?: string): string {
  const r = RESOURCES[obj.kind];
  if (!r) throw new Error(`no API path known for kind ${obj.kind} (${obj.metadata?.name})`);
  const ns = obj.metadata?.namespace ?? namespaceForCollection;
  if (r.namespaced && !ns) throw new Error(`${obj.kind} ${obj.metadata?.name} has no namespace`);
  const base = `/${r.group}${r.namespaced ? `/namespaces/${ns}` : ""}/${r.plural}`;
  return namespaceForCollection !== undefined ? base : `${base}/${obj.metadata.name}`;
}

async function waitFor(what: string, seconds: number, check: () => Promise<boolean>, log: () => string) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${seconds} s:\n${log()}`);
}

/** Starts etcd and kube-apiserver in a temporary directory; stop() kills both and removes it. */
export async function startApiServer(): Promise<ApiServer> {
  const etcdBin = kubeTool("etcd");
  const apiserverBin = kubeTool("kube-apiserver");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-apiserver-"));
  const started = Date.now();
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
  const token = crypto.randomBytes(24).toString("hex");
  fs.writeFileSync(path.join(dir, "tokens.csv"), `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));

  const logs: Record<string, string> = { etcd: "", apiserver: "" };
  const children: ChildProcess[] = [];
  const launch = (name: string, bin: string, args: string[]) => {
    const child = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const append = (d: Buffer) => {
      logs[name] = (logs[name] + d.toString()).slice(-20000);
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    children.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    launch("etcd", etcdBin, [
      "--name=default",
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      "--log-level=warn",
    ]);
    launch("apiserver", apiserverBin, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${securePort}`,
      `--cert-dir=${path.join(dir, "certs")}`,
      `--token-auth-file=${path.join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      // PodSecurity is on by default; named here so the test's premise is explicit.
      "--enable-admission-plugins=PodSecurity,NamespaceLifecycle,ServiceAccount,DefaultStorageClass,ResourceQuota",
      `--service-account-key-file=${path.join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--service-cluster-ip-range=10.96.0.0/16",
      // No controller manager runs; the `kubernetes` Service's endpoints would point at loopback.
      "--endpoint-reconciler-type=none",
      "--v=0",
    ]);
    const url = `https://127.0.0.1:${securePort}`;
    // The server's certificate is self-signed by kube-apiserver at start (--cert-dir).
    const request = apiRequester(url, token, () => fs.readFileSync(path.join(dir, "certs", "apiserver.crt")));
    await waitFor(
      "kube-apiserver",
      120,
      async () => (await request("GET", "/readyz")).status === 200,
      () => `etcd:\n${logs.etcd.slice(-3000)}\napiserver:\n${logs.apiserver.slice(-6000)}`,
    );
    const startSeconds = (Date.now() - started) / 1000;
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "local",
            cluster: {
              server: url,
              "certificate-authority-data": fs
                .readFileSync(path.join(dir, "certs", "apiserver.crt"))
                .toString("base64"),
            },
          },
        ],
        users: [{ name: "admin", user: { token } }],
        contexts: [{ name: "local", context: { cluster: "local", user: "admin" } }],
        "current-context": "local",
      }),
      { mode: 0o600 },
    );
    return { url, token, startSeconds, kubeconfig, request, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Server-side apply of one object with strict field validation (unknown or duplicate fields fail). */
export async function serverSideApply(api: ApiServer, obj: ApiObject, fieldManager = "ops-baseline") {
  const res = await api.request(
    "PATCH",
    `${objectPath(obj)}?fieldManager=${fieldManager}&fieldValidation=Strict&force=true`,
    obj,
    "application/apply-patch+yaml",
  );
  if (res.status >= 300) {
    throw new Error(
      `apply ${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name}: ${res.status} ${res.body.message ?? JSON.stringify(res.body)}`,
    );
  }
  return res;
}

/**
 * Fields the object sets that the server stores differently (missing or changed), ignoring
 * what the server adds. A difference means every apply through the engine shows a change.
 */
export function storedDifferences(sent: unknown, stored: unknown, at = ""): string[] {
  if (Array.isArray(sent)) {
    if (!Array.isArray(stored)) return [`${at}: sent ${JSON.stringify(sent)}, stored ${JSON.stringify(stored)}`];
    if (sent.length !== stored.length) return [`${at}: sent ${sent.length} items, stored ${stored.length}`];
    return sent.flatMap((item, i) => storedDifferences(item, stored[i], `${at}[${i}]`));
  }
  if (sent && typeof sent === "object") {
    if (!stored || typeof stored !== "object") return [`${at}: sent an object, stored ${JSON.stringify(stored)}`];
    return Object.entries(sent).flatMap(([k, v]) => storedDifferences(v, (stored as ApiObject)[k], `${at}.${k}`));
  }
  return sent === stored ? [] : [`${at}: sent ${JSON.stringify(sent)}, stored ${JSON.stringify(stored)}`];
}

/** Every pod template of a workload object, with where it sits. */
export function podTemplates(obj: ApiObject): Array<{ where: string; template: ApiObject }> {
  const where = `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
  switch (obj.kind) {
    case "Deployment":
    case "DaemonSet":
      return [{ where, template: obj.spec.template }];
    case "StatefulSet": {
      // The controller adds a volume per claim template to each pod it creates.
      const claims = (obj.spec.volumeClaimTemplates ?? []).map((c: ApiObject) => ({
        name: c.metadata.name,
        persistentVolumeClaim: { claimName: `${c.metadata.name}-${obj.metadata.name}-0` },
      }));
      const spec = { ...obj.spec.template.spec, volumes: [...(obj.spec.template.spec.volumes ?? []), ...claims] };
      return [{ where, template: { ...obj.spec.template, spec } }];
    }
    case "CronJob":
      return [{ where, template: obj.spec.jobTemplate.spec.template }];
    default:
      return [];
  }
}
