// RTT's WAL archive on the one-node cluster of scripts/cluster.sh: the StatefulSet the program
// renders for RTT (its pod template, with the test image netprobe instead of RTT and without the
// sidecars whose images are not here) gets its claims from the real StatefulSet controller and
// local-path; a Job made from the `rtt-wal-archive` CronJob's template (the same volumes; netprobe
// as its container, so the test can read through it) must mount the claim the controller created
// and see what RTT wrote to its WAL volume. With a claim name that nothing creates, its pod never
// leaves Pending.
//
// Needs root and the binaries of toolchain/cluster/install.sh (skipped with the reason when they
// are not built). Reuses a running cluster and leaves it running; else brings one up and takes it
// down at the end.
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { after, before, test } from "node:test";
import type { ApiObject } from "../support/kube-apiserver";
import {
  clusterImage,
  clusterUnavailable,
  defaultServiceAccount,
  readyPod,
  startCluster,
  type Cluster,
} from "../support/cluster";
import { exampleStacks, exampleText } from "../support/examples";
import { stackManifests } from "../support/kube-manifests";

const unavailable = clusterUnavailable();
const NS = `archive-test-${crypto.randomBytes(3).toString("hex")}`;
let cluster: Cluster;

/** The netprobe container in place of `c`: same name, mounts and security settings. */
function asNetprobe(c: ApiObject, mounts: ApiObject[]): ApiObject {
  return {
    name: c.name,
    image: clusterImage("netprobe"),
    imagePullPolicy: "Never",
    securityContext: c.securityContext,
    ports: [{ containerPort: 8080 }],
    readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
    volumeMounts: mounts,
  };
}

const runningPod = (selector: string) => readyPod(cluster, NS, selector);

async function onPod(pod: ApiObject, pathAndQuery: string): Promise<{ status: number; text: string }> {
  const res = await cluster.request(
    "GET",
    `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}:8080/proxy${pathAndQuery}`,
  );
  return { status: res.status, text: typeof res.body.text === "string" ? res.body.text : JSON.stringify(res.body) };
}

before(async () => {
  if (unavailable) return;
  cluster = await startCluster();
  await cluster.kubectl(["create", "namespace", NS]);
  await defaultServiceAccount(cluster, NS);
});

after(async () => {
  if (unavailable || !cluster) return;
  await cluster.kubectl(["delete", "namespace", NS, "--wait=false"]).catch(() => undefined);
  await cluster.stop();
});

test(
  "RTT's WAL archive job mounts the claim its StatefulSet created and reads RTT's data",
  { skip: unavailable, timeout: 300_000 },
  async () => {
    const example = exampleStacks().find((e) => e.id === "rtt/prod")!;
    const objects = await stackManifests(example.stack, exampleText(example), example.target.relFile);
    const sts = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "rtt")!;
    const cron = objects.find((o) => o.kind === "CronJob" && o.metadata.name === "rtt-wal-archive")!;
    assert.ok(sts && cron, "the example renders RTT's StatefulSet and its WAL archive CronJob");

    // RTT: its claim templates as rendered; the pod keeps only the mounts of those claims.
    const templates = new Set((sts.spec.volumeClaimTemplates as ApiObject[]).map((t) => t.metadata.name));
    const main = sts.spec.template.spec.containers[0];
    const rttMounts = (main.volumeMounts as ApiObject[]).filter((m) => templates.has(m.name));
    const statefulSet = {
      ...sts,
      metadata: { name: sts.metadata.name, namespace: NS, labels: sts.metadata.labels },
      spec: {
        ...sts.spec,
        volumeClaimTemplates: (sts.spec.volumeClaimTemplates as ApiObject[]).map((t) => ({
          ...t,
          spec: { ...t.spec, storageClassName: undefined, resources: { requests: { storage: "16Mi" } } },
        })),
        template: {
          ...sts.spec.template,
          spec: {
            securityContext: sts.spec.template.spec.securityContext,
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 1,
            containers: [asNetprobe(main, rttMounts)],
          },
        },
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(statefulSet));
    const rtt = await runningPod("app.kubernetes.io/name=rtt");
    const wal = rttMounts.find((m) => m.name === "wal")!.mountPath;
    const text = `wal segment ${crypto.randomBytes(4).toString("hex")}`;
    const written = await onPod(rtt, `/write?file=${wal}/segment-1&text=${encodeURIComponent(text)}`);
    assert.equal(written.status, 200, written.text);

    // The archive job: the CronJob's pod template with its /source volume as rendered.
    const pod = cron.spec.jobTemplate.spec.template.spec;
    const archive = pod.containers[0];
    const sourceMount = (archive.volumeMounts as ApiObject[]).find((m) => m.mountPath === "/source")!;
    const sourceVolume = (pod.volumes as ApiObject[]).find((v) => v.name === sourceMount.name)!;
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "rtt-wal-archive-manual", namespace: NS },
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: 240,
        template: {
          metadata: { labels: { "app.kubernetes.io/name": "rtt-wal-archive" } },
          spec: {
            restartPolicy: "Never",
            securityContext: pod.securityContext,
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: 1,
            containers: [asNetprobe(archive, [sourceMount])],
            volumes: [sourceVolume],
          },
        },
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(job));
    const reader = await runningPod("app.kubernetes.io/name=rtt-wal-archive");
    const claim = sourceVolume.persistentVolumeClaim.claimName;
    const pvc = (await cluster.request("GET", `/api/v1/namespaces/${NS}/persistentvolumeclaims/${claim}`)).body;
    assert.equal(pvc.status.phase, "Bound", `${claim} exists and is bound`);
    assert.ok(
      pvc.metadata.labels?.["app.kubernetes.io/name"] === "rtt",
      `${claim} was created by RTT's StatefulSet (labels ${JSON.stringify(pvc.metadata.labels)})`,
    );
    const read = await onPod(reader, "/read?file=/source/segment-1");
    assert.equal(read.status, 200, read.text);
    assert.equal(read.text, text, "the archive job sees what RTT wrote to its WAL volume");
    console.log(`# archive job mounted ${claim}, created by the StatefulSet controller`);
  },
);
