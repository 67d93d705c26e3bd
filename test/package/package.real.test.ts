// The package as a user gets it: `npm pack` this repository, `ops-baseline init --from <tarball>`
// from the unpacked package into an empty directory, `npm install --offline` there (the npm cache
// holds every dependency; init writes a lock from the package's own), `tsc` of the generated
// index.ts against the package's declarations, then the project's program under Pulumi mocks.
// It must register the same resources as this repository's own dev program.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { runProgram } from "../support/program";
import { engineConfigFor, REPO_ROOT } from "../support/stack-files";

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync("nice", ["-n", "10", cmd, ...args], { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} in ${cwd} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// Runs in the project: mocks, the engine's config of Pulumi.dev.yaml, then the compiled program.
const HARNESS = `
const fs = require("node:fs");
const pulumi = require("@pulumi/pulumi");
const { config, secretKeys } = JSON.parse(fs.readFileSync("mock-config.json", "utf8"));
const resources = [];
pulumi.runtime
  .setMocks(
    {
      newResource(a) {
        resources.push({ type: a.type, name: a.name, build: a.inputs.build });
        return { id: a.name + "-id", state: a.inputs };
      },
      call() {
        return {};
      },
    },
    "project",
    "dev",
    true,
  )
  .then(async () => {
    pulumi.runtime.setAllConfig(config, secretKeys);
    require("./dist/index.js");
    let seen = -1, quiet = 0;
    while (quiet < 20) {
      await new Promise((r) => setTimeout(r, 10));
      quiet = resources.length === seen ? quiet + 1 : 0;
      seen = resources.length;
    }
    fs.writeFileSync("mock-resources.json", JSON.stringify(resources));
  });
`;

test("npm pack, init --from the tarball, an offline install: the project's dev program registers the repository's dev resources", async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ops-package-"));
  try {
    run("npm", ["pack", "--pack-destination", tmp, "--silent"], REPO_ROOT);
    const tarball = path.join(tmp, "ops-baseline-0.1.0.tgz");
    const unpacked = path.join(tmp, "unpacked");
    fs.mkdirSync(unpacked);
    run("tar", ["xzf", tarball, "-C", unpacked], tmp);
    const packed = path.join(unpacked, "package");
    const list = run("tar", ["tzf", tarball], tmp).split("\n");
    assert.deepEqual(
      list.filter((f) => /\.test\.js$|^package\/dist\/test\//.test(f)),
      [],
      "no tests in the package",
    );
    for (const f of [
      "dist/stacks/program.d.ts",
      "schema/stack-file.schema.json",
      "images/backup/Dockerfile",
      "CHANGELOG.md",
    ]) {
      assert.ok(list.includes(`package/${f}`), `the package ships ${f}`);
    }

    const project = path.join(tmp, "project");
    // The unpacked package's CLI, its dependencies (yaml) from this repository's node_modules, where
    // npx would have installed them.
    const nodePath = { ...process.env, NODE_PATH: path.join(REPO_ROOT, "node_modules") };
    run("node", [path.join(packed, "dist/tools/init/cli.js"), "init", project, "--from", tarball], tmp, nodePath);
    run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], project);
    run(path.join(project, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], project);

    const stackText = fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8");
    fs.writeFileSync(path.join(project, "mock-config.json"), JSON.stringify(engineConfigFor("dev", stackText)));
    fs.writeFileSync(path.join(project, "mock-run.js"), HARNESS);
    run("node", ["mock-run.js"], project);
    const got = JSON.parse(fs.readFileSync(path.join(project, "mock-resources.json"), "utf8")) as {
      type: string;
      name: string;
      build?: { context: string; dockerfile: string };
    }[];

    const own = await runProgram("dev");
    const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
    assert.ok(own.resources.length > 20);
    assert.deepEqual(got.map(key).sort(), own.resources.map(key).sort());

    // Every image builds from the installed package's files (the dev stack file states its builds
    // relative to the project, pointing into node_modules; the defaults' builds are the package's).
    const installed = path.join(project, "node_modules", "ops-baseline");
    const builds = got.filter((r) => r.build !== undefined);
    assert.ok(builds.length >= 5, `images with a build: ${builds.length}`);
    for (const r of builds) {
      assert.ok(
        fs.realpathSync(r.build!.dockerfile).startsWith(fs.realpathSync(installed)),
        `${r.name}: ${r.build!.dockerfile}`,
      );
      assert.ok(path.resolve(project, r.build!.context).startsWith(installed), `${r.name}: ${r.build!.context}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
