import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRepoStack } from "../test/support/stack-files";
import { worstCaseLatencies } from "./alert-latency";

test("the dev stack pages a dead service within 60 s", () => {
  const down = worstCaseLatencies(loadRepoStack("dev")).find((l) => l.alert === "ServiceDown");
  assert.ok(down);
  assert.equal(down.severity, "critical");
  assert.ok(down.seconds <= 60, `ServiceDown reaches the pager after ${down.seconds} s`);
});
