// The restic archive jobs of service volumes on Kubernetes: a service with a persistent volume is
// a StatefulSet, whose claims the StatefulSet controller names `<template>-<statefulset>-<ordinal>`;
// the archive CronJob must mount that claim (not a `<service>-<volume>` claim nothing creates),
// and the restore the runbook prints must write to a path the job can write (its root is read-only).
import assert from "node:assert/strict";
import { test } from "node:test";
import { planEnvironment } from "../../stacks/plan";
import { exampleStacks, exampleText, loadExample } from "../../test/support/examples";
import { stackManifests } from "../../test/support/kube-manifests";
import type { ApiObject } from "../../test/support/kube-apiserver";
import { restoreProcedures } from "./restore";

const rtt = exampleStacks().filter((e) => e.system === "rtt");

for (const example of rtt) {
  test(`examples/${example.id}: each archive job mounts a claim its service creates and restores to a writable path`, async () => {
    const config = loadExample(example);
    assert.ok(config.backup.volumes.length > 0, "RTT backs up volumes");
    const objects = await stackManifests(example.stack, exampleText(example), example.target.relFile);
    if (config.target.kind === "kubernetes") {
      const claimsOf = (sts: ApiObject): string[] =>
        (sts.spec.volumeClaimTemplates ?? []).flatMap((t: ApiObject) =>
          Array.from({ length: sts.spec.replicas }, (_, r) => `${t.metadata.name}-${sts.metadata.name}-${r}`),
        );
      const created = new Set([
        ...objects.filter((o) => o.kind === "StatefulSet").flatMap(claimsOf),
        ...objects.filter((o) => o.kind === "PersistentVolumeClaim").map((o) => o.metadata.name),
      ]);
      for (const { service, volume } of config.backup.volumes) {
        const job = objects.find((o) => o.kind === "CronJob" && o.metadata.name === `${service}-${volume}-archive`);
        assert.ok(job, `the archive CronJob of ${service}/${volume}`);
        const pod = job.spec.jobTemplate.spec.template.spec;
        const source = pod.containers[0].volumeMounts.find((m: ApiObject) => m.mountPath === "/source");
        const claim = pod.volumes.find((v: ApiObject) => v.name === source.name).persistentVolumeClaim.claimName;
        assert.ok(created.has(claim), `${claim} is a claim the stack creates (${[...created].sort().join(", ")})`);
        assert.equal(claim, `${volume}-${service}-0`, "the first replica's claim of the StatefulSet");
      }
    }
    // The restore command's target is on a writable volume of the job that runs it (not its root).
    const procedures = restoreProcedures(config).filter((p) => p.kind === "volume");
    assert.equal(procedures.length, config.backup.volumes.length);
    const jobs = planEnvironment(config).jobs;
    for (const p of procedures) {
      const job = jobs.find((j) => j.name === p.job)!;
      const under = job.volumes
        .filter((v) => p.defaultTarget!.startsWith(`${v.mountPath}/`))
        .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
      assert.ok(under, `${p.defaultTarget} lies on a volume of ${p.job}: ${job.volumes.map((v) => v.mountPath)}`);
      assert.equal(under.readOnly, false, `${p.defaultTarget} is writable`);
      assert.ok(under.persistent, `${p.defaultTarget} outlives the one-off restore job`);
    }
  });
}
