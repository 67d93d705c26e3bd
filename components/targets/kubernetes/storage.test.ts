import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRepoStack } from "../../../test/support/stack-files";
import { planEnvironment } from "../../../stacks/plan";
import { fileDirectories } from "./storage";
import { workloadController } from "./workloads";

const ctx = { namespace: "ops-baseline", commonLabels: {} };

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
