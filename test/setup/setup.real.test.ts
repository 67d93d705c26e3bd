// scripts/setup.sh as a user without root, as on a laptop with Docker and the Pulumi CLI: the
// Debian packages only the tests need must not stop it (npm run up -- dev does not need them).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../support/stack-files";

const SETPRIV = spawnSync("which", ["setpriv"], { encoding: "utf8" }).stdout.trim() || "setpriv";

function asNobody(env: Record<string, string>) {
  return spawnSync(
    SETPRIV,
    ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", path.join(REPO_ROOT, "scripts/setup.sh")],
    { encoding: "utf8", env: { ...env, SETUP_SKIP: "npm docker toolchain" }, cwd: REPO_ROOT },
  );
}

test("setup.sh without root: missing Debian packages are listed, not fatal", () => {
  assert.equal(process.getuid?.(), 0, "this test drops from root to nobody with setpriv");
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-setup-"));
  try {
    fs.chmodSync(fake, 0o755);
    // A machine where none of the packages is installed.
    fs.writeFileSync(path.join(fake, "dpkg-query"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const r = asNobody({ PATH: `${fake}:${process.env.PATH}`, HOME: fake });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Debian packages missing: prometheus .*debootstrap/);
    assert.match(r.stderr, /npm run up -- dev does not need them; npm test does: sudo apt-get install prometheus/);
    assert.doesNotMatch(r.stderr, /installing Debian packages/);
  } finally {
    fs.rmSync(fake, { recursive: true, force: true });
  }
});

test("setup.sh on a system without dpkg skips the Debian step", () => {
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-setup-"));
  try {
    fs.chmodSync(fake, 0o755);
    // PATH with the tools setup uses but no dpkg-query.
    for (const tool of ["bash", "date", "id", "grep", "cat", "dirname"]) {
      const found = spawnSync("which", [tool], { encoding: "utf8" }).stdout.trim();
      fs.symlinkSync(found, path.join(fake, tool));
    }
    const r = asNobody({ PATH: fake, HOME: fake });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /not a Debian system: skipping the Debian packages/);
  } finally {
    fs.rmSync(fake, { recursive: true, force: true });
  }
});
