// The rendered logrotate configuration run by the real logrotate, with a state file, on
// generated log files: the rotated file count and compression are as configured.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { loadRepoStack } from "../../test/support/stack-files";
import { requireTool, runOk } from "../../test/support/tools";
import { renderLogrotateConfig, type LogFilePolicy } from "./logrotate";

function rotateRepeatedly(policy: LogFilePolicy, rounds: number) {
  const logrotate = requireTool("logrotate", ["/usr/sbin/logrotate"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-logrotate-"));
  const log = path.join(dir, "access.log");
  const conf = path.join(dir, "logrotate.conf");
  // logrotate refuses configs writable by others; 0644 like the mounted file.
  fs.writeFileSync(conf, renderLogrotateConfig([log], policy), { mode: 0o644 });
  for (let round = 0; round < rounds; round++) {
    fs.appendFileSync(log, `round ${round} ${"x".repeat(2048)}\n`.repeat(8));
    // dateext names a rotation by its second; keep the rounds apart.
    runOk(logrotate, ["--state", path.join(dir, "state"), ...(policy.frequency === "size" ? [] : ["--force"]), conf]);
    const wait = Date.now() + 1100;
    while (Date.now() < wait) {
      /* next second */
    }
  }
  const rotated = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith("access.log-"))
    .sort();
  return { dir, rotated, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test("size policy: files past maxsize rotate, `rotate` of them are kept, all but the newest compressed", () => {
  const policy: LogFilePolicy = {
    ...loadRepoStack("dev").logging.files,
    frequency: "size",
    maxSize: 10 * 1024,
    rotate: 3,
  };
  const { rotated, cleanup } = rotateRepeatedly(policy, 5);
  try {
    assert.equal(rotated.length, 3, rotated.join(", "));
    assert.equal(rotated.filter((f) => f.endsWith(".gz")).length, 2, "delaycompress leaves the newest uncompressed");
  } finally {
    cleanup();
  }
});

test("daily policy of the dev stack (RTAP: daily, 7 kept, compressed), forced past 7 rotations", () => {
  const policy = loadRepoStack("dev").logging.files;
  assert.equal(policy.frequency, "daily");
  assert.equal(policy.rotate, 7);
  const { rotated, cleanup } = rotateRepeatedly(policy, 9);
  try {
    assert.equal(rotated.length, 7, rotated.join(", "));
    assert.equal(rotated.filter((f) => f.endsWith(".gz")).length, 6);
  } finally {
    cleanup();
  }
});

test("copytruncate keeps the file in place; the default moves it and lets the service reopen it", () => {
  const base = loadRepoStack("dev").logging.files;
  assert.match(renderLogrotateConfig(["/app/logs/access.log"], base), /\n {4}nocreate\n/);
  assert.doesNotMatch(renderLogrotateConfig(["/app/logs/access.log"], base), /copytruncate/);
  const { dir, rotated, cleanup } = rotateRepeatedly({ ...base, copytruncate: true, rotate: 2 }, 2);
  try {
    assert.equal(rotated.length, 2);
    assert.equal(fs.statSync(path.join(dir, "access.log")).size, 0, "the live file was truncated in place");
  } finally {
    cleanup();
  }
});
