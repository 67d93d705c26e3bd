// The prod stack's objects on a real kube-apiserver 1.34 (with etcd, RBAC and Pod Security
// admission): server-side apply with strict field validation, every pod template admitted by its
// namespace's Pod Security profile, what is sent is what is stored, and a second apply moves
// nothing. No kubelet runs, so pods are admitted but never started (README, "Tests").
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  objectPath,
  podTemplates,
  serverSideApply,
  startApiServer,
  storedDifferences,
  type ApiObject,
  type ApiServer,
} from "../support/kube-apiserver";
import { stackManifests } from "../support/kube-manifests";

let api: ApiServer;
let objects: ApiObject[];
const firstApply = new Map<string, { generation?: number; stored: string; warnings: string[] }>();
/** The stored object without what every write bumps (resourceVersion, managedFields times). */
const observable = (body: ApiObject) =>
  JSON.stringify({
    ...body,
    metadata: {
      ...body.metadata,
      resourceVersion: undefined,
      managedFields: body.metadata.managedFields?.map((f: ApiObject) => ({ ...f, time: undefined })),
    },
  });
const key = (o: ApiObject) => `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;

before(async () => {
  objects = await stackManifests("prod");
  api = await startApiServer();
  console.log(`# kube-apiserver ready after ${api.startSeconds.toFixed(1)} s`);
});
after(async () => {
  await api?.stop();
});

test("prod: every object is accepted by server-side apply with strict field validation", async () => {
  assert.ok(objects.length > 40, `the prod stack renders ${objects.length} objects`);
  const failures: string[] = [];
  for (const obj of objects) {
    try {
      const res = await serverSideApply(api, obj);
      firstApply.set(key(obj), {
        generation: res.body.metadata.generation,
        stored: observable(res.body),
        warnings: res.warnings,
      });
      if (obj.kind === "Namespace") {
        // The controller manager (absent here) creates each namespace's default ServiceAccount.
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
  const warned = [...firstApply.entries()].filter(([, v]) => v.warnings.length > 0);
  assert.deepEqual(
    warned.map(([k, v]) => `${k}: ${v.warnings.join("; ")}`),
    [],
    "the API server warns about nothing (Pod Security warnings included)",
  );
});

test("prod: what the stack sends is what the API server stores (no diff on the next preview)", async () => {
  const diffs: string[] = [];
  for (const obj of objects) {
    const res = await api.request("GET", objectPath(obj));
    assert.equal(res.status, 200, `${key(obj)} is stored`);
    const { stringData, ...comparable } = obj;
    if (stringData) {
      // Secrets are stored as base64 `data`; compare the keys.
      assert.deepEqual(Object.keys(res.body.data ?? {}).sort(), Object.keys(stringData).sort(), key(obj));
    }
    diffs.push(...storedDifferences(comparable, res.body, key(obj)));
  }
  assert.deepEqual(diffs, []);
});

test("prod: the stack's own jobs are stored as CronJobs; the API server refuses a schedule that is not cron", async () => {
  const own = objects.filter((o) => o.kind === "CronJob" && o.metadata.labels["app.kubernetes.io/component"] === "job");
  assert.deepEqual(own.map((o) => o.metadata.name).sort(), ["reindex", "vacuum-analyze"]);
  for (const obj of own) {
    const res = await api.request("GET", objectPath(obj));
    assert.equal(res.status, 200, `${key(obj)} is stored`);
    assert.equal(res.body.spec.concurrencyPolicy, "Forbid");
    assert.equal(res.body.spec.schedule, obj.spec.schedule);
    assert.equal(res.body.spec.jobTemplate.spec.activeDeadlineSeconds, obj.spec.jobTemplate.spec.activeDeadlineSeconds);
  }
  // The same object with a schedule croner refuses too: the server's validation is the real check.
  const bad = structuredClone(own[0]);
  bad.metadata.name = "bad-schedule";
  bad.spec.schedule = "61 * * * *";
  const res = await api.request("POST", `/apis/batch/v1/namespaces/${bad.metadata.namespace}/cronjobs?dryRun=All`, bad);
  assert.equal(res.status, 422, JSON.stringify(res.body));
  assert.match(res.body.message, /schedule/);
});

test("prod: every pod template is admitted by its namespace's Pod Security profile", async () => {
  const templates = objects.flatMap(podTemplates);
  assert.ok(templates.length >= 8, `${templates.length} pod templates`);
  const rejected: string[] = [];
  for (const { where, template } of templates) {
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

test("the Pod Security check can fail: a container adding a capability is refused in a restricted namespace", async () => {
  const ns = objects.find(
    (o) => o.kind === "Namespace" && o.metadata.labels["pod-security.kubernetes.io/enforce"] === "restricted",
  );
  assert.ok(ns, "a restricted namespace");
  const template = objects.flatMap(podTemplates).find((t) => t.where.includes(`${ns.metadata.name}/`))!.template;
  const spec = structuredClone(template.spec);
  spec.containers[0].securityContext = {
    ...spec.containers[0].securityContext,
    capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] },
  };
  const res = await api.request("POST", `/api/v1/namespaces/${ns.metadata.name}/pods?dryRun=All`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "psa-negative-", namespace: ns.metadata.name },
    spec,
  });
  assert.equal(res.status, 403, res.body.message);
  assert.match(res.body.message, /violates PodSecurity "restricted/);
});

test("prod: a second apply changes nothing (no generation moves, nothing stored differs)", async () => {
  assert.equal(firstApply.size, objects.length, "the first apply ran");
  const moved: string[] = [];
  for (const obj of objects) {
    const res = await serverSideApply(api, obj);
    const before = firstApply.get(key(obj))!;
    if (res.body.metadata.generation !== before.generation) {
      moved.push(`${key(obj)}: generation ${before.generation} -> ${res.body.metadata.generation}`);
    }
    // (A PersistentVolumeClaim's resourceVersion moves on any write, its protection admission
    // touches it; what matters is that nothing observable changed.)
    if (observable(res.body) !== before.stored) moved.push(`${key(obj)}: the stored object changed`);
  }
  assert.deepEqual(moved, []);
});
