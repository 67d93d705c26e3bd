// An entry point on a real kube-apiserver 1.34: the Ingress, its kubernetes.io/tls Secret and the
// NetworkPolicies that admit the ingress controller, as the program registers them for a prod
// stack with an entry point (test/support/broker-stack.ts), applied server-side with strict field
// validation. No ingress controller runs here: the Ingress is accepted and stored, not served.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { brokerStackText, ENTRYPOINT, NATS_STORE } from "../support/broker-stack";
import {
  objectPath,
  serverSideApply,
  startApiServer,
  storedDifferences,
  type ApiObject,
  type ApiServer,
} from "../support/kube-apiserver";
import { stackManifests } from "../support/kube-manifests";
import { makeTestCertificate } from "../support/tls";

let api: ApiServer;
let objects: ApiObject[];

before(async () => {
  const all = await stackManifests("prod", brokerStackText("prod"));
  // The entry point's objects, its namespace and the Service it routes to.
  objects = all.filter(
    (o) =>
      o.kind === "Namespace" ||
      o.kind === "Ingress" ||
      o.metadata.name.startsWith(`${ENTRYPOINT}-`) ||
      o.metadata.name === NATS_STORE ||
      o.metadata.name.startsWith(`${NATS_STORE}-`) ||
      (o.kind === "Service" && o.metadata.name === "api"),
  );
  // The API server reads a kubernetes.io/tls Secret's certificate: a real one goes in where the
  // stack file's encrypted values stand (the test cannot decrypt them).
  const cert = makeTestCertificate("rave.example.test", 30);
  for (const o of objects.filter((x) => x.kind === "Secret")) {
    assert.deepEqual(Object.keys(o.stringData).sort(), ["tls.crt", "tls.key"]);
    // Pulumi.prod.yaml renders manifests to files: the key never reaches them, only a placeholder.
    assert.equal(o.stringData["tls.key"], "<secret raveTlsKey: set at deploy time, not rendered>");
    o.stringData = { "tls.crt": cert.certificate, "tls.key": cert.key };
  }
  api = await startApiServer();
});
after(async () => {
  await api?.stop();
});

test("prod: the Ingress, its TLS Secret and NetworkPolicy are accepted and stored as sent", async () => {
  const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.deepEqual(
    kinds.filter((k) => k.includes("rave-proxy") || k === "Service/api"),
    ["Ingress/rave-proxy", "NetworkPolicy/rave-proxy-to-api", "Secret/rave-proxy-tls", "Service/api"],
  );
  const warnings: string[] = [];
  const diffs: string[] = [];
  for (const obj of objects) {
    const res = await serverSideApply(api, obj);
    warnings.push(...res.warnings.map((w) => `${obj.kind}/${obj.metadata.name}: ${w}`));
    const stored = await api.request("GET", objectPath(obj));
    assert.equal(stored.status, 200);
    const { stringData, ...comparable } = obj;
    if (stringData) {
      // Written as stringData, stored base64-encoded as data.
      assert.deepEqual(Object.keys(stored.body.data).sort(), Object.keys(stringData).sort());
    }
    diffs.push(...storedDifferences(comparable, stored.body, `${obj.kind}/${obj.metadata.name}`));
  }
  assert.deepEqual(warnings, []);
  assert.deepEqual(diffs, []);
  const secret = (await api.request("GET", objectPath(objects.find((o) => o.kind === "Secret")!))).body;
  assert.equal(secret.type, "kubernetes.io/tls");
  const ingress = (await api.request("GET", objectPath(objects.find((o) => o.kind === "Ingress")!))).body;
  assert.deepEqual(ingress.spec.tls, [{ hosts: ["rave.example.test"], secretName: "rave-proxy-tls" }]);
});

test("NATS: its StatefulSet and exporter are admitted by the restricted Pod Security profile, with their NetworkPolicies", () => {
  const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  for (const k of [
    "StatefulSet/bus",
    "Service/bus",
    "Service/bus-pods",
    "NetworkPolicy/bus",
    "Deployment/bus-exporter",
    "NetworkPolicy/bus-exporter",
  ]) {
    assert.ok(kinds.includes(k), `${k} among ${kinds.join(", ")}`);
  }
  const policy = objects.find((o) => o.kind === "NetworkPolicy" && o.metadata.name === NATS_STORE)!;
  // Only its exporter and the blackbox exporter (which probes /healthz for NatsServerDown) reach
  // the server, nothing from elsewhere. A peer is let in to the workload's ports, not one of them.
  assert.deepEqual(policy.spec.ingress, [
    {
      from: [
        {
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": "blackbox-exporter", "app.kubernetes.io/part-of": "ops-baseline" },
          },
        },
        {
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": "bus-exporter", "app.kubernetes.io/part-of": "ops-baseline" },
          },
        },
      ],
      ports: [
        { port: 4222, protocol: "TCP" },
        { port: 8222, protocol: "TCP" },
      ],
    },
  ]);
});

test("a TLS Secret whose certificate is not PEM draws the API server's warning", async () => {
  const secret = structuredClone(objects.find((o) => o.kind === "Secret")!);
  secret.metadata.name = "rave-proxy-tls-wrong";
  secret.stringData["tls.crt"] = "not a certificate";
  const res = await serverSideApply(api, secret);
  assert.match(res.warnings.join("\n"), /failed to find any PEM data in certificate input/);
});

test("the API server refuses an Ingress route that is not a path, so the shape is not accepted blindly", async () => {
  const ingress = structuredClone(objects.find((o) => o.kind === "Ingress")!);
  ingress.metadata.name = "rave-proxy-broken";
  ingress.spec.rules[0].http.paths[0].path = "no-slash";
  await assert.rejects(serverSideApply(api, ingress), /must be an absolute path/);
});
