// The Kubernetes stack of every example system on a real kube-apiserver 1.34 (with etcd, RBAC and
// Pod Security admission, test/support/kube-apiserver.ts): every object accepted by server-side
// apply with strict field validation and no warning, and every pod template admitted by its
// namespace's Pod Security profile. No kubelet runs: pods are admitted, never started.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { podTemplates, serverSideApply, startApiServer, type ApiServer } from "../support/kube-apiserver";
import { stackManifests } from "../support/kube-manifests";
import { exampleStacks, exampleText, loadExample } from "../support/examples";
import { makeTestCertificate } from "../support/tls";

let api: ApiServer;

before(async () => {
  api = await startApiServer();
});
after(async () => {
  await api?.stop();
});

for (const example of exampleStacks().filter((e) => loadExample(e).target.kind === "kubernetes")) {
  test(`${example.id}: every object is applied with strict validation and every pod template admitted`, async () => {
    const objects = await stackManifests(example.stack, exampleText(example), example.target.relFile);
    const services = Object.keys(loadExample(example).services);
    for (const name of services) {
      assert.ok(
        objects.some((o) => ["Deployment", "StatefulSet"].includes(o.kind) && o.metadata.name === name),
        `${name} is a Deployment or StatefulSet`,
      );
    }
    // The API server reads a kubernetes.io/tls Secret's certificate (RAVE's proxy): a real one goes
    // in where the stack file's encrypted values stand (the test cannot decrypt them).
    for (const o of objects.filter((x) => x.kind === "Secret" && x.type === "kubernetes.io/tls")) {
      const cert = makeTestCertificate("rave.local", 30);
      o.stringData = { "tls.crt": cert.certificate, "tls.key": cert.key };
    }
    const failures: string[] = [];
    const warnings: string[] = [];
    for (const obj of objects) {
      try {
        const res = await serverSideApply(api, obj);
        warnings.push(...res.warnings.map((w: string) => `${obj.kind} ${obj.metadata.name}: ${w}`));
        if (obj.kind === "Namespace") {
          await serverSideApply(api, {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "default", namespace: obj.metadata.name },
          });
        }
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(warnings, [], "the API server warns about nothing");
    const rejected: string[] = [];
    for (const { where, template } of objects.flatMap(podTemplates)) {
      const namespace = where.split(" ")[1].split("/")[0];
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { generateName: "psa-check-", namespace, labels: template.metadata?.labels },
        spec: template.spec,
      };
      const res = await api.request("POST", `/api/v1/namespaces/${namespace}/pods?dryRun=All`, pod);
      if (res.status !== 201) rejected.push(`${where}: ${res.status} ${res.body.message}`);
    }
    assert.deepEqual(rejected, []);
  });
}
