// `ops-baseline init`'s arguments and refusals, against this repository as the package.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { exampleNames, init, InitError, parseInitArgs, rewriteStackFile, SCHEMA_LINE } from "../../tools/init/init";
import { REPO_ROOT } from "../support/stack-files";

test("init's arguments: a directory, --example, --from, --force; anything else is refused", () => {
  assert.deepEqual(parseInitArgs(["app", "--example", "rtap", "--force"], "/x"), {
    dir: "/x/app",
    example: "rtap",
    from: undefined,
    force: true,
  });
  assert.equal(parseInitArgs([], "/x").dir, "/x");
  assert.equal(parseInitArgs(["--from", "a.tgz"], "/x").from, "/x/a.tgz");
  assert.throws(() => parseInitArgs(["--example"]), /--example needs a value/);
  assert.throws(() => parseInitArgs(["--example", "--force"]), /--example needs a value/);
  assert.throws(() => parseInitArgs(["--exmaple", "rtap"]), /unknown option --exmaple/);
  assert.throws(() => parseInitArgs(["a", "b"]), /one directory only/);
});

test("an unknown example is refused, naming the ones that exist", () => {
  assert.deepEqual(exampleNames(REPO_ROOT), ["c0di3", "rave", "rtap", "rtt", "t-ops-01"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-init-"));
  try {
    assert.throws(
      () => init({ dir, example: "nope", force: false }, REPO_ROOT),
      (e: unknown) =>
        e instanceof InitError &&
        /unknown example "nope"; the examples are: c0di3, rave, rtap, rtt, t-ops-01/.test(e.message),
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a non-empty directory is refused unless --force", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-init-"));
  try {
    fs.writeFileSync(path.join(dir, "mine.txt"), "keep");
    assert.throws(() => init({ dir, force: false }, REPO_ROOT), /is not empty \(mine\.txt\); pass --force/);
    const written = init({ dir, example: "rtap", force: true }, REPO_ROOT);
    assert.ok(written.includes("Pulumi.dev.yaml") && written.includes(".github/workflows/preview.yml"));
    assert.equal(fs.readFileSync(path.join(dir, "mine.txt"), "utf8"), "keep");
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    assert.equal(pkg.dependencies["ops-baseline"], "^0.1.0");
    assert.equal(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8").split("\n")[0], SCHEMA_LINE);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the stack file's build paths point into node_modules/ops-baseline; attached files are listed", () => {
  const { text, attached } = rewriteStackFile(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
  assert.deepEqual(attached, ["docs/runbooks/api.md", "docs/runbooks/latency.md"]);
  assert.match(text, /^ {8}context: node_modules\/ops-baseline$/m);
  assert.match(text, /dockerfile: node_modules\/ops-baseline\/images\/postgresql\/Dockerfile/);
  assert.doesNotMatch(text, /schema=schema\//);
});
