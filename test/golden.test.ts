import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { exampleStacks, loadExample } from "./support/examples";
import { EXAMPLES_GOLDEN_DIR, GOLDEN_DIR, goldenFiles, goldenFilesOf } from "./support/golden";
import { STACKS } from "./support/stack-files";

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

const sets = [
  ...STACKS.map((stack) => ({ name: stack, dir: path.join(GOLDEN_DIR, stack), files: () => goldenFiles(stack) })),
  ...exampleStacks().map((e) => ({
    name: `examples/${e.id}`,
    dir: path.join(EXAMPLES_GOLDEN_DIR, e.id),
    files: () => goldenFilesOf(loadExample(e)),
  })),
];

for (const { name: stack, dir, files } of sets) {
  test(`golden files of ${stack} are current (update with: npm run golden)`, () => {
    const expected = files();
    assert.deepEqual(
      listFiles(dir).sort(),
      [...expected.keys()].sort(),
      "the set of golden files differs; run: npm run golden",
    );
    for (const [rel, content] of expected) {
      assert.equal(
        fs.readFileSync(path.join(dir, rel), "utf8"),
        content,
        `${stack}/${rel} is stale; run: npm run golden`,
      );
    }
  });
}

test("rendering is deterministic", () => {
  for (const { files } of sets) assert.deepEqual(files(), files());
});

test("no golden directory is left of an example that no longer exists", () => {
  const systems = fs.existsSync(EXAMPLES_GOLDEN_DIR) ? fs.readdirSync(EXAMPLES_GOLDEN_DIR) : [];
  const stacks = systems.flatMap((s) => fs.readdirSync(path.join(EXAMPLES_GOLDEN_DIR, s)).map((st) => `${s}/${st}`));
  assert.deepEqual(
    stacks.sort(),
    exampleStacks()
      .map((e) => e.id)
      .sort(),
    "run: npm run golden",
  );
});
