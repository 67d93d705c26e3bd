import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { GOLDEN_DIR, goldenFiles } from "./support/golden";
import { STACKS } from "./support/stack-files";

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

for (const stack of STACKS) {
  test(`golden files of ${stack} are current (update with: npm run golden)`, () => {
    const expected = goldenFiles(stack);
    const dir = path.join(GOLDEN_DIR, stack);
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
  for (const stack of STACKS) assert.deepEqual(goldenFiles(stack), goldenFiles(stack));
});
