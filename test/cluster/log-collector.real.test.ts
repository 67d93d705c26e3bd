// The prod stack's log path on the one-node cluster of scripts/cluster.sh: the program's own
// objects for the collector (its namespace, ConfigMap, DaemonSet, Services, NetworkPolicies) and
// for VictoriaLogs (StatefulSet, Services, NetworkPolicy), rendered for a namespace of the test's,
// with the locally built images of toolchain/cluster/images.sh in place of the prod references
// (the same binaries: the project's collector distribution and VictoriaLogs 1.52.2).
//
//   - The DaemonSet becomes Ready on a node where no stack pod runs and no store answers yet, and
//     is not restarted by its liveness probe while the store is missing.
//   - A line a stack pod prints is searchable in the store, with the pod's namespace, pod and
//     container names, and the service named after the container.
//   - NetworkPolicy, enforced by kube-network-policies: a pod with the collector's identity in the
//     agents' namespace reaches the store and is refused anything else (a stack pod's port).
//
// Needs root, the binaries of toolchain/cluster/install.sh and the collector and store binaries
// (skipped with the reason when they are not built). Reuses a running cluster and leaves it
// running; else brings one up and takes it down at the end.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import type { ApiObject } from "../support/kube-apiserver";
import {
  clusterImage,
  clusterUnavailable,
  defaultServiceAccount,
  readyPod,
  startCluster,
  waitUntil,
  type Cluster,
} from "../support/cluster";
import { stackManifests } from "../support/kube-manifests";
import { REPO_ROOT } from "../support/stack-files";
import { nodeAgentNamespace } from "../../components/workloads/model";

const NS = `logs-test-${crypto.randomBytes(3).toString("hex")}`;
const AGENTS = nodeAgentNamespace(NS);
const unavailable = clusterUnavailable() ?? imagesUnavailable();
let cluster: Cluster;
let objects: ApiObject[] = [];

function imagesUnavailable(): string | undefined {
  try {
    clusterImage("otelcol");
    clusterImage("victoria-logs");
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The pod template with `image` for every container, never pulled (no registry answers here). */
function withLocalImage(template: ApiObject, image: string): ApiObject {
  return {
    ...template,
    spec: {
      ...template.spec,
      terminationGracePeriodSeconds: 1,
      containers: (template.spec.containers as ApiObject[]).map((c) => ({ ...c, image, imagePullPolicy: "Never" })),
    },
  };
}

function rendered(kind: string, namespace: string | undefined, name: string): ApiObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name);
  assert.ok(found, `the prod program renders ${kind} ${namespace ?? ""}/${name}`);
  return found;
}

async function apply(obj: ApiObject): Promise<void> {
  await cluster.kubectl(["apply", "--server-side", "--force-conflicts", "-f", "-"], JSON.stringify(obj));
}

/** A netprobe Deployment (restricted-profile security) with the given pod labels. */
function netprobe(name: string, namespace: string, labels: Record<string, string>, container = "netprobe"): ApiObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { "test/probe": name } },
      template: {
        metadata: { labels: { ...labels, "test/probe": name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: container,
              image: clusterImage("netprobe"),
              imagePullPolicy: "Never",
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            },
          ],
        },
      },
    },
  };
}

async function onPod(pod: ApiObject, pathAndQuery: string): Promise<{ status: number; text: string }> {
  const { namespace, name } = pod.metadata;
  const res = await cluster.request("GET", `/api/v1/namespaces/${namespace}/pods/${name}:8080/proxy${pathAndQuery}`);
  return { status: res.status, text: typeof res.body.text === "string" ? res.body.text : JSON.stringify(res.body) };
}

/** A LogsQL query against the store, through the API server's service proxy: the records found. */
async function logsQuery(query: string): Promise<ApiObject[]> {
  const res = await cluster.request(
    "GET",
    `/api/v1/namespaces/${NS}/services/victorialogs:9428/proxy/select/logsql/query?query=${encodeURIComponent(query)}`,
  );
  if (res.status !== 200) return [];
  const text = typeof res.body.text === "string" ? res.body.text : JSON.stringify(res.body);
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ApiObject);
}

before(async () => {
  if (unavailable) return;
  // The prod stack file as it is, its namespace the test's.
  const prodFile = path.join(REPO_ROOT, "Pulumi.prod.yaml");
  const text = fs.readFileSync(prodFile, "utf8").replace(/^(\s+namespace:) ops-baseline$/m, `$1 ${NS}`);
  assert.ok(text.includes(`namespace: ${NS}`), "the prod stack file names its namespace");
  objects = await stackManifests("prod", text);
  cluster = await startCluster();
});

after(async () => {
  if (unavailable || !cluster) return;
  for (const ns of [NS, AGENTS]) await cluster.kubectl(["delete", "namespace", ns, "--wait=false"]).catch(() => {});
  await cluster.stop();
});

test(
  "prod's log collector on a real node: Ready without the store, records with their pod, enforced policy",
  { skip: unavailable, timeout: 420_000 },
  async () => {
    // 1. The agents' namespace and everything in it, before any stack pod or store exists.
    await apply(rendered("Namespace", undefined, AGENTS));
    await defaultServiceAccount(cluster, AGENTS);
    const agentObjects = objects.filter((o) => o.metadata.namespace === AGENTS);
    assert.ok(
      agentObjects.some((o) => o.kind === "DaemonSet"),
      "the agents' namespace holds the DaemonSet",
    );
    for (const o of agentObjects) {
      await apply(
        o.kind === "DaemonSet"
          ? { ...o, spec: { ...o.spec, template: withLocalImage(o.spec.template, clusterImage("otelcol")) } }
          : o,
      );
    }
    const started = Date.now();
    const collector = await readyPod(cluster, AGENTS, "app.kubernetes.io/name=otelcol");
    const readySeconds = (Date.now() - started) / 1000;
    const ds = (await cluster.request("GET", `/apis/apps/v1/namespaces/${AGENTS}/daemonsets/otelcol`)).body;
    assert.equal(ds.status.numberReady, ds.status.desiredNumberScheduled, "every node's collector is Ready");
    const stackPods = (await cluster.request("GET", `/api/v1/namespaces/${NS}/pods`)).body.items ?? [];
    assert.equal(stackPods.length, 0, "no stack pod runs while the collector becomes Ready");
    const user = collector.spec.containers[0].securityContext;
    assert.equal(user.runAsNonRoot, true, "the collector runs as a non-root user");

    // 2. The stack's namespace, the store and its policy; a stack pod (container "api") prints a line.
    await apply(rendered("Namespace", undefined, NS));
    await defaultServiceAccount(cluster, NS);
    const sts = rendered("StatefulSet", NS, "victorialogs");
    await apply({
      ...sts,
      spec: {
        ...sts.spec,
        volumeClaimTemplates: (sts.spec.volumeClaimTemplates as ApiObject[]).map((t) => ({
          ...t,
          spec: { ...t.spec, storageClassName: undefined, resources: { requests: { storage: "64Mi" } } },
        })),
        template: withLocalImage(sts.spec.template, clusterImage("victoria-logs")),
      },
    });
    for (const o of objects.filter((x) => x.metadata.namespace === NS)) {
      if ((o.kind === "Service" && o.metadata.name.startsWith("victorialogs")) || o.kind === "NetworkPolicy")
        await apply(o);
    }
    const store = await readyPod(cluster, NS, "app.kubernetes.io/name=victorialogs", 180);
    await apply(
      netprobe("api", NS, { "app.kubernetes.io/name": "api", "app.kubernetes.io/part-of": "ops-baseline" }, "api"),
    );
    const writer = await readyPod(cluster, NS, "test/probe=api");

    const marker = `cluster-line-${crypto.randomBytes(4).toString("hex")}`;
    const printed = await onPod(writer, `/log?text=${encodeURIComponent(`ERROR ${marker}`)}`);
    assert.equal(printed.status, 200, printed.text);
    const wrote = Date.now();
    const [record] = await waitUntil(`the line ${marker} in the store`, 90, async () => {
      const found = await logsQuery(`"${marker}"`);
      return found.length > 0 ? found : undefined;
    }).catch(async (err) => {
      const logs = await cluster.kubectl(["-n", AGENTS, "logs", collector.metadata.name, "--tail=40"]).catch(String);
      throw new Error(`${err.message}\nthe collector's last lines:\n${logs}`);
    });
    const searchableSeconds = (Date.now() - wrote) / 1000;
    assert.equal(record["k8s.namespace.name"], NS, JSON.stringify(record));
    assert.equal(record["k8s.pod.name"], writer.metadata.name, JSON.stringify(record));
    assert.equal(record["k8s.container.name"], "api", JSON.stringify(record));
    assert.equal(record["service.name"], "api", JSON.stringify(record));
    assert.equal(record["deployment.environment.name"], "prod", JSON.stringify(record));
    assert.match(String(record.level ?? record["severity_text"] ?? ""), /error/i, JSON.stringify(record));

    // 3. The collector's policy, enforced: its identity reaches the store and nothing else.
    const selector = rendered("NetworkPolicy", AGENTS, "otelcol").spec.podSelector.matchLabels as Record<
      string,
      string
    >;
    await apply(netprobe("collector-identity", AGENTS, selector));
    const identity = await readyPod(cluster, AGENTS, "test/probe=collector-identity");
    const fetch = (url: string) => onPod(identity, `/fetch?url=${encodeURIComponent(url)}`);
    const health = await fetch(`http://victorialogs.${NS}.svc.cluster.local:9428/health`);
    assert.equal(health.status, 200, `the collector's identity reaches the store: ${health.text}`);
    const other = await fetch(`http://${writer.status.podIP}:8080/`);
    assert.notEqual(other.status, 200, `the collector's identity reaches a stack pod: ${other.text}`);
    const storeIp = await fetch(`http://${store.status.podIP}:9428/health`);
    assert.equal(storeIp.status, 200, `the store by pod address: ${storeIp.text}`);

    // 4. Still the first collector pod, never restarted by its probes.
    const pod = (await cluster.request("GET", `/api/v1/namespaces/${AGENTS}/pods/${collector.metadata.name}`)).body;
    assert.equal(pod.status.containerStatuses[0].restartCount, 0, "the collector was not restarted");
    console.log(
      `# collector Ready in ${readySeconds.toFixed(1)} s with no store; a line searchable ${searchableSeconds.toFixed(1)} s after it was printed`,
    );
  },
);
