import assert from "node:assert/strict";
import { test } from "node:test";
import { loadStackConfig } from "../../stacks/config/load";
import { readStackFileText, stackFileInputFromText } from "../../test/support/stack-files";
import { pinDigests, publishedImages } from "./pin";

const digest = (c: string) => `sha256:${c.repeat(64)}`;

test("the prod stack file names the five published images, and pinning keeps it valid", () => {
  const text = readStackFileText("prod");
  assert.deepEqual([...publishedImages(text).keys()].sort(), ["api", "backup", "logrotate", "otelcol", "postgresql"]);
  const pinned = pinDigests(text, {
    api: digest("a"),
    backup: digest("b"),
    logrotate: digest("c"),
    postgresql: digest("e"),
  });
  const config = loadStackConfig(stackFileInputFromText("prod", pinned));
  assert.equal(config.services.api.image, `ghcr.io/ops-baseline/api:0.1.0@${digest("a")}`);
  assert.equal(config.backup.image, `ghcr.io/ops-baseline/backup:0.1.0@${digest("b")}`);
  assert.equal(config.logging.files.image, `ghcr.io/ops-baseline/logrotate:3.21-bookworm@${digest("c")}`);
  assert.equal(config.dataStores.postgres.image, `ghcr.io/ops-baseline/postgresql:15-bookworm@${digest("e")}`);
  // Comments survive; a second pin replaces the digest instead of appending one.
  assert.match(pinned, /# The prod environment/);
  const repinned = pinDigests(pinned, { api: digest("d") });
  assert.match(repinned, new RegExp(`api:0\\.1\\.0@${digest("d")}\\n`));
});

test("a malformed digest or an image the stack does not use is refused", () => {
  const text = readStackFileText("prod");
  assert.throws(() => pinDigests(text, { api: "sha256:xyz" }), /digest of api must be sha256/);
  assert.throws(() => pinDigests(text, { grafana: digest("a") }), /refers to no ghcr.io\/ops-baseline\/grafana/);
});
