// The shape of the code as rules: no import cycle among the modules of components/ and stacks/,
// and no module under components/ importing one under stacks/ (data flows one way: stack file ->
// config -> concerns -> targets). `npm run -s code-shape` prints the same measurements.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { functionSizes, measureCodeShape } from "../tools/code-shape/shape";
import { REPO_ROOT } from "./support/stack-files";

test("components/ and stacks/ have no import cycle, and components/ never imports stacks/", async () => {
  const shape = await measureCodeShape(REPO_ROOT);
  assert.deepEqual(
    shape.cycles.map((c) => c.join(" > ")),
    [],
    "import cycles: move the shared types or constants into a module both sides import",
  );
  assert.deepEqual(
    shape.componentsToStacks.map(({ from, to }) => `${from} -> ${to}`),
    [],
    "a concern takes its own slice of the config and the StackContext (components/workloads/context.ts)",
  );
});

test("the measurement finds a cycle and an upward import when there is one", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-shape-"));
  try {
    fs.mkdirSync(path.join(root, "components/a"), { recursive: true });
    fs.mkdirSync(path.join(root, "stacks"), { recursive: true });
    fs.writeFileSync(path.join(root, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs" } }));
    fs.writeFileSync(path.join(root, "components/a/x.ts"), 'import { y } from "./y";\nexport const x = () => y;\n');
    fs.writeFileSync(path.join(root, "components/a/y.ts"), 'import { x } from "./x";\nexport const y = () => x;\n');
    fs.writeFileSync(
      path.join(root, "components/a/z.ts"),
      'import type { S } from "../../stacks/s";\nexport type Z = S;\n',
    );
    fs.writeFileSync(path.join(root, "stacks/s.ts"), "export type S = string;\n");
    const shape = await measureCodeShape(root);
    assert.deepEqual(shape.cycles, [["components/a/x.ts", "components/a/y.ts"]]);
    assert.deepEqual(shape.componentsToStacks, [{ from: "components/a/z.ts", to: "stacks/s.ts" }]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("function sizes count the lines of declarations, methods and function-valued consts", () => {
  const text = "function a() {\n  return 1;\n}\nconst b = () => {\n  return 2;\n};\nclass C {\n  m() {}\n}\n";
  assert.deepEqual(functionSizes("t.ts", text), [
    { name: "a", lines: 3 },
    { name: "b", lines: 3 },
    { name: "m", lines: 1 },
  ]);
});
