// The one-node cluster of scripts/cluster.sh running real pods: a Deployment of a locally built
// image (images/netprobe) becomes Ready, a claim on the default StorageClass (local-path) binds and
// a pod writes to it, pods reach each other by IP and by a Service name CoreDNS resolves, and
// NetworkPolicy is enforced (kube-network-policies): a default-deny ingress policy blocks the
// traffic, an allow rule for one client restores it for that client only.
//
// Needs root and the binaries of toolchain/cluster/install.sh (skipped with the reason when they
// are not built). Reuses a running cluster and leaves it running; else brings one up and takes
// it down at the end (OPS_BASELINE_CLUSTER_KEEP=1 keeps it).
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import type { ApiObject } from "../support/kube-apiserver";
import {
  clusterImage,
  clusterUnavailable,
  defaultServiceAccount,
  startCluster,
  waitUntil,
  type Cluster,
} from "../support/cluster";

const unavailable = clusterUnavailable();
const NS = `cluster-test-${crypto.randomBytes(3).toString("hex")}`;
let cluster: Cluster;
const podOf: Record<string, ApiObject> = {};

function probe(app: string, extra: { volumes?: ApiObject[]; volumeMounts?: ApiObject[] } = {}): ApiObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: app, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: "netprobe",
              image: clusterImage("netprobe"),
              // Never: no registry can be reached; the image was imported by cluster.sh.
              imagePullPolicy: "Never",
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
              volumeMounts: extra.volumeMounts,
            },
          ],
          volumes: extra.volumes,
        },
      },
    },
  };
}

/** GET <path> on a pod's netprobe through the API server's pod proxy: status and body text. */
async function onPod(app: string, pathAndQuery: string): Promise<{ status: number; text: string }> {
  const pod = podOf[app].metadata.name;
  const res = await cluster.request("GET", `/api/v1/namespaces/${NS}/pods/${pod}:8080/proxy${pathAndQuery}`);
  return { status: res.status, text: typeof res.body.text === "string" ? res.body.text : JSON.stringify(res.body) };
}
const fetchFrom = (app: string, url: string) => onPod(app, `/fetch?url=${encodeURIComponent(url)}`);

async function apply(objects: ApiObject[]) {
  await cluster.kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}

before(async () => {
  if (unavailable) return;
  cluster = await startCluster();
  console.log(
    cluster.startSeconds ? `# cluster up in ${cluster.startSeconds.toFixed(1)} s` : "# reusing the running cluster",
  );
  await apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } }]);
  await defaultServiceAccount(cluster, NS);
});

after(async () => {
  if (unavailable || !cluster) return;
  await cluster.kubectl(["delete", "namespace", NS, "--wait=false"]).catch(() => undefined);
  await cluster.stop();
});

test(
  "a Deployment of a locally built image runs and becomes Ready",
  { skip: unavailable, timeout: 180_000 },
  async () => {
    await apply([
      probe("server"),
      probe("client", {
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
      }),
      probe("other"),
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data", namespace: NS },
        // No storageClassName: the default StorageClass (local-path) is the one admission sets.
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "16Mi" } } },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "server", namespace: NS },
        spec: { selector: { app: "server" }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    ]);
    for (const app of ["server", "client", "other"]) {
      await cluster
        .kubectl(["-n", NS, "rollout", "status", `deployment/${app}`, "--timeout=150s"])
        .catch(async (err) => {
          const pods = await cluster.kubectl(["-n", NS, "get", "pods,events", "-o", "wide"]).catch(() => "");
          throw new Error(`${err.message}\n${pods}`);
        });
      const pods = (await cluster.request("GET", `/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${app}`)).body
        .items;
      const ready = pods.filter(
        (p: ApiObject) =>
          !p.metadata.deletionTimestamp &&
          p.status.conditions?.some((c: ApiObject) => c.type === "Ready" && c.status === "True"),
      );
      assert.equal(ready.length, 1, `one Ready pod of ${app}`);
      podOf[app] = ready[0];
      assert.equal(ready[0].spec.nodeName, "ops-node");
      assert.match(ready[0].status.podIP, /^10\.244\.0\.\d+$/, `${app}'s pod has an address on the pod network`);
      assert.equal(ready[0].status.containerStatuses[0].image, clusterImage("netprobe"));
      const hello = await onPod(app, "/");
      assert.equal(hello.status, 200);
      assert.equal(hello.text.trim(), `ok ${ready[0].metadata.name}`, "the pod's own server answers");
    }
  },
);

test(
  "a claim on the default StorageClass binds (local-path) and a pod writes to it",
  { skip: unavailable },
  async () => {
    assert.ok(podOf.client, "the client pod runs (first test)");
    const pvc = (await cluster.request("GET", `/api/v1/namespaces/${NS}/persistentvolumeclaims/data`)).body;
    assert.equal(pvc.status.phase, "Bound");
    assert.equal(pvc.spec.storageClassName, "local-path", "the default StorageClass was applied");
    const pv = (await cluster.request("GET", `/api/v1/persistentvolumes/${pvc.spec.volumeName}`)).body;
    const hostDir: string = pv.spec.hostPath?.path ?? pv.spec.local?.path;
    assert.ok(
      hostDir?.startsWith(`${cluster.dir}/local-path/`),
      `the volume lives under the cluster's local-path dir: ${hostDir}`,
    );
    const text = `written by the client ${crypto.randomBytes(4).toString("hex")}`;
    const written = await onPod("client", `/write?file=/data/probe.txt&text=${encodeURIComponent(text)}`);
    assert.equal(written.status, 200, written.text);
    assert.equal(written.text, text);
    // The pod's write is on the node's disk, in the provisioned directory.
    assert.equal(fs.readFileSync(`${hostDir}/probe.txt`, "utf8"), text);
    // And not on the container's own filesystem: a path outside the volume is not there.
    const missing = await onPod("client", "/read?file=/probe.txt");
    assert.equal(missing.status, 502);
  },
);

test("pods reach each other by IP and by a Service name that CoreDNS resolves", { skip: unavailable }, async () => {
  const serverIP: string = podOf.server.status.podIP;
  const direct = await fetchFrom("client", `http://${serverIP}:8080/`);
  assert.equal(direct.status, 200, direct.text);
  assert.equal(direct.text.trim(), `ok ${podOf.server.metadata.name}`);

  const service = (await cluster.request("GET", `/api/v1/namespaces/${NS}/services/server`)).body;
  const name = `server.${NS}.svc.cluster.local`;
  const resolved = await onPod("client", `/resolve?name=${name}`);
  assert.equal(resolved.status, 200, resolved.text);
  assert.equal(resolved.text.trim(), service.spec.clusterIP, "CoreDNS answers the Service's cluster IP");
  const short = await onPod("client", "/resolve?name=server");
  assert.equal(short.text.trim(), service.spec.clusterIP, "the pod's search path finds the short name");
  const none = await onPod("client", `/resolve?name=nosuch.${NS}.svc.cluster.local`);
  assert.equal(none.status, 502, `a name with no Service does not resolve: ${none.text}`);

  const viaService = await fetchFrom("client", `http://${name}/`);
  assert.equal(viaService.status, 200, viaService.text);
  assert.equal(viaService.text.trim(), `ok ${podOf.server.metadata.name}`, "kube-proxy sends the Service to the pod");
});

test(
  "a default-deny NetworkPolicy blocks pod-to-pod traffic and an allow rule restores it",
  { skip: unavailable, timeout: 120_000 },
  async () => {
    const target = `http://${podOf.server.status.podIP}:8080/`;
    for (const app of ["client", "other"]) {
      const open = await fetchFrom(app, target);
      assert.equal(open.status, 200, `${app} reaches the server before any policy: ${open.text}`);
    }
    await apply([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "default-deny-ingress", namespace: NS },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      },
    ]);
    const blocked = await waitUntil("the default-deny policy to take effect", 30, async () => {
      const r = await fetchFrom("client", target);
      return r.status !== 200 ? r : undefined;
    });
    assert.equal(blocked.status, 502, `the client's request fails in the pod: ${blocked.text}`);
    assert.match(blocked.text, /timeout|deadline|refused|unreachable/i, "the connection is dropped, not answered");
    const otherBlocked = await fetchFrom("other", target);
    assert.notEqual(otherBlocked.status, 200, "the other pod is blocked too");
    const viaService = await fetchFrom("client", `http://server.${NS}.svc.cluster.local/`);
    assert.notEqual(viaService.status, 200, "the Service does not get around the policy");

    await apply([
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "server-from-client", namespace: NS },
        spec: {
          podSelector: { matchLabels: { app: "server" } },
          policyTypes: ["Ingress"],
          ingress: [
            { from: [{ podSelector: { matchLabels: { app: "client" } } }], ports: [{ port: 8080, protocol: "TCP" }] },
          ],
        },
      },
    ]);
    const restored = await waitUntil("the allow rule to take effect", 30, async () => {
      const r = await fetchFrom("client", target);
      return r.status === 200 ? r : undefined;
    });
    assert.equal(restored.text.trim(), `ok ${podOf.server.metadata.name}`);
    const stillBlocked = await fetchFrom("other", target);
    assert.notEqual(stillBlocked.status, 200, `a pod the rule does not name stays blocked: ${stillBlocked.text}`);
    // The default deny selects every pod of the namespace: the client cannot reach the other pod.
    const toOther = await fetchFrom("client", `http://${podOf.other.status.podIP}:8080/`);
    assert.notEqual(toOther.status, 200, `the default deny covers the other pod too: ${toOther.text}`);
  },
);
