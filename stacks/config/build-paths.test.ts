import { strict as assert } from "node:assert";
import { test } from "node:test";
import { readStackFileText, stackFileInputFromText } from "../../test/support/stack-files";
import { resolveBuildPaths } from "./build-paths";
import { loadStackConfig } from "./load";

test("builds the stack file states resolve against the project, the defaults' against the package", () => {
  const input = stackFileInputFromText("dev", readStackFileText("dev"));
  const config = resolveBuildPaths(loadStackConfig(input), input.values, { projectDir: "/proj", packageDir: "/pkg" });
  assert.deepEqual(config.services.api.build, {
    context: "/proj",
    dockerfile: "/proj/apps/api/Dockerfile",
    args: {},
  });
  assert.equal(config.dataStores.postgres.build?.context, "/proj/images/postgresql");
  assert.equal(config.backup.build?.context, "/pkg/images/backup");
  assert.equal(config.backup.build?.dockerfile, "/pkg/images/backup/Dockerfile");
  assert.equal(config.logging.files.build?.context, "/pkg/images/logrotate");
});

test("without a package directory the loader leaves build paths as written", () => {
  const config = loadStackConfig(stackFileInputFromText("dev", readStackFileText("dev")));
  assert.equal(config.services.api.build?.context, ".");
  assert.equal(config.backup.build?.context, "images/backup");
});
