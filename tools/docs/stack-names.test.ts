// The operations documents of a stack of any name: `npm run docs` finds `Pulumi.staging.yaml`,
// writes docs/stacks/staging/, and the runbook links (alerts.runbookBaseUrl, defaulting to that
// path for any stack name) lead to it. A stack file without profile is refused, naming the key.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { readStackFileText } from "../../test/support/stack-files";
import { allDocsTargets, stackDocs } from "./stacks";

function rootWith(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-docs-"));
  fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: ops-baseline\nruntime: nodejs\n");
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name), text);
  return root;
}

/** Pulumi.prod.yaml as another stack, without its attached runbook files (not in the temp root). */
function prodAs(edit: (c: Record<string, any>) => void): string {
  const doc = parseYaml(readStackFileText("prod"));
  delete doc.config["ops-baseline:services"].api.runbook;
  delete doc.config["ops-baseline:alerts"]?.runbooks;
  edit(doc.config);
  return stringify(doc);
}

test("npm run docs: a staging stack gets its documents under docs/stacks/staging, its runbook links lead there", (t) => {
  const root = rootWith({ "Pulumi.staging.yaml": prodAs((c) => (c["ops-baseline:profile"] = "prod")) });
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const [target] = allDocsTargets(root);
  assert.equal(target.stack, "staging");
  assert.equal(target.relOutDir, "docs/stacks/staging");
  const docs = stackDocs(target);
  assert.deepEqual([...docs.keys()].sort(), ["OPERATIONS.md", "RUNBOOK.md", "TROUBLESHOOTING.md"]);
  assert.match(docs.get("OPERATIONS.md")!, /Environment `staging`/);
  assert.match(docs.get("RUNBOOK.md")!, /docs\/stacks\/staging\/RUNBOOK\.md#/);
  assert.doesNotMatch([...docs.values()].join("\n"), /docs\/stacks\/prod\//, "nothing points at prod's documents");
});

test("npm run docs: a stack of another name without profile is refused, naming file and key", (t) => {
  const root = rootWith({ "Pulumi.qa.yaml": prodAs(() => {}) });
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  assert.throws(() => stackDocs(allDocsTargets(root)[0]), /Pulumi\.qa\.yaml: ops-baseline:profile: is not set/);
});
