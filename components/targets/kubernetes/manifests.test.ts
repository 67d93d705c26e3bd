import assert from "node:assert/strict";
import { test } from "node:test";
import { stackContext } from "../../../stacks/context";
import { serviceWorkloads } from "../../services/workloads";
import { loadRepoStack } from "../../../test/support/stack-files";
import { planEnvironment } from "../../../stacks/plan";
import { fileDirectories, workloadController, type K8sObject } from "./manifests";

const ctx = { namespace: "ops-baseline", commonLabels: {} };

test("a multi-replica service with a persistent volume gets a claim per replica (StatefulSet)", () => {
  const config = loadRepoStack("prod");
  config.services.api.volumes.push({
    name: "cache",
    path: "/var/cache/api",
    size: 2 ** 30,
    persistent: true,
    readOnly: false,
  });
  const api = serviceWorkloads(stackContext(config), config).workloads.find((w) => w.name === "api")!;
  assert.equal(api.replicas, 2);
  const controller = workloadController(api, ctx);
  assert.equal(controller.kind, "StatefulSet");
  assert.deepEqual(
    controller.spec.volumeClaimTemplates.map((c: K8sObject) => c.metadata.name),
    ["cache"],
  );
  // The pod mounts the claim template, not one shared ReadWriteOnce claim.
  assert.ok(!controller.spec.template.spec.volumes?.some((v: K8sObject) => v.name === "cache"));
});

test("no subPath mounts: files are mounted as directories, nested ones as items of the outer volume", () => {
  assert.deepEqual(fileDirectories("files", ["/etc/p/p.yml", "/etc/p/rules/a.yml", "/etc/b/b.yml"]), [
    { volume: "files-0", dir: "/etc/b", paths: ["/etc/b/b.yml"] },
    { volume: "files-1", dir: "/etc/p", paths: ["/etc/p/p.yml", "/etc/p/rules/a.yml"] },
  ]);
  const plan = planEnvironment(loadRepoStack("prod"));
  for (const w of plan.workloads) {
    const pod = workloadController(w, ctx).spec.template.spec;
    for (const c of pod.containers) {
      for (const m of c.volumeMounts ?? []) assert.equal(m.subPath, undefined, `${w.name}/${c.name} ${m.mountPath}`);
    }
  }
});
