import assert from "node:assert/strict";
import { test } from "node:test";
import { stackContext } from "../../../stacks/context";
import { serviceWorkloads } from "../../services/workloads";
import { loadRepoStack } from "../../../test/support/stack-files";
import type { K8sObject } from "./objects";
import { workloadController } from "./workloads";

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
