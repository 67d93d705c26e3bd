import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesToQuantity, millicoresToQuantity, parseCpu, parseDuration, parseSize, secondsToDuration } from "./units";

test("durations", () => {
  assert.deepEqual(parseDuration("30s"), { ok: true, value: 30 });
  assert.deepEqual(parseDuration("1h30m"), { ok: true, value: 5400 });
  assert.deepEqual(parseDuration("250ms"), { ok: true, value: 0.25 });
  assert.deepEqual(parseDuration("7d"), { ok: true, value: 604800 });
  for (const bad of ["", "30", "5x", "1h 30m", "-1s"]) assert.equal(parseDuration(bad).ok, false, bad);
  assert.equal(secondsToDuration(5400), "1h30m");
  assert.equal(secondsToDuration(0.25), "250ms");
  assert.equal(secondsToDuration(93784), "1d2h3m4s");
});

test("sizes", () => {
  assert.deepEqual(parseSize("256Mi"), { ok: true, value: 256 * 1024 ** 2 });
  assert.deepEqual(parseSize("10MB"), { ok: true, value: 10_000_000 });
  assert.deepEqual(parseSize("1Gi"), { ok: true, value: 1024 ** 3 });
  for (const bad of ["lots", "10 XB", "-1Mi"]) assert.equal(parseSize(bad).ok, false, bad);
  assert.equal(bytesToQuantity(256 * 1024 ** 2), "256Mi");
  assert.equal(bytesToQuantity(10_000_000), "10000000");
});

test("cpu", () => {
  assert.deepEqual(parseCpu("500m"), { ok: true, value: 500 });
  assert.deepEqual(parseCpu("0.25"), { ok: true, value: 250 });
  assert.deepEqual(parseCpu("2"), { ok: true, value: 2000 });
  assert.equal(parseCpu("0").ok, false);
  assert.equal(parseCpu("fast").ok, false);
  assert.equal(millicoresToQuantity(2000), "2");
  assert.equal(millicoresToQuantity(250), "250m");
});
