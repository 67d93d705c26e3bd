// The canonical forms the Docker provider reads back, checked against Go itself: the provider
// formats healthcheck durations with time.Duration.String() and the program must send exactly
// that text, or every later preview shows a difference and replaces the container.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { runOk, requireTool } from "../../../test/support/tools";
import { cpus, goDuration } from "./containers";

const SECONDS = [0, 0.25, 0.5, 1, 1.5, 3, 5, 10, 30, 40, 59, 60, 61, 90, 120, 300, 599, 3599, 3600, 3661, 7200, 86400];

test("goDuration equals Go's time.Duration.String() for every probe timing", () => {
  const go = requireTool("go", ["/usr/local/go/bin/go", "/usr/lib/go/bin/go"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-goduration-"));
  try {
    fs.writeFileSync(
      path.join(dir, "main.go"),
      `package main

import (
	"fmt"
	"time"
)

func main() {
	for _, ms := range []int64{${SECONDS.map((s) => Math.round(s * 1000)).join(", ")}} {
		fmt.Println((time.Duration(ms) * time.Millisecond).String())
	}
}
`,
    );
    const out = runOk(go, ["run", "main.go"], { cwd: dir, env: { ...process.env, GOFLAGS: "", GO111MODULE: "off" } });
    assert.deepEqual(
      SECONDS.map((s) => goDuration(s)),
      out.trim().split("\n"),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("cpus is a decimal with a fractional digit, as the provider reads NanoCPUs back", () => {
  const spec = (m: number) => ({ resources: { cpuLimitMillicores: m } }) as Parameters<typeof cpus>[0];
  assert.deepEqual(
    [1000, 2000, 500, 250, 200, 100, 1500, 125].map((m) => cpus(spec(m))),
    ["1.0", "2.0", "0.5", "0.25", "0.2", "0.1", "1.5", "0.125"],
  );
});
