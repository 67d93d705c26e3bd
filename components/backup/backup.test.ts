import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { ConfigError, loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { loadRepoStack, readStackFileText, stackFileInputFromText, STACKS } from "../../test/support/stack-files";
import { backupsToKeep, isoWeek } from "./retention";

const name = (iso: string) => `postgres-${iso.replace(/[-:]/g, "")}.dump`;

test("retention keeps the newest N plus one per day, week and month", () => {
  const files = [
    name("2026-11-23T02:30:00Z"),
    name("2026-11-22T14:30:00Z"),
    name("2026-11-22T02:30:00Z"),
    name("2026-11-15T02:30:00Z"),
    name("2026-10-31T02:30:00Z"),
    name("2026-10-01T02:30:00Z"),
    name("2026-09-30T02:30:00Z"),
  ];
  assert.deepEqual(backupsToKeep(files, { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 }), [files[0]]);
  assert.deepEqual(backupsToKeep(files, { keepLast: 1, keepDaily: 2, keepWeekly: 0, keepMonthly: 0 }), [
    files[0],
    files[1],
  ]);
  assert.deepEqual(backupsToKeep(files, { keepLast: 1, keepDaily: 0, keepWeekly: 3, keepMonthly: 0 }), [
    files[0],
    files[1],
    files[3],
  ]);
  assert.deepEqual(backupsToKeep(files, { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 3 }), [
    files[0],
    files[4],
    files[6],
  ]);
  assert.equal(isoWeek(new Date(Date.UTC(2027, 0, 1))), "2026-W53");
});

for (const stack of STACKS) {
  test(`${stack}: every data store has a scheduled backup, PostgreSQL a restore drill`, () => {
    const plan = planEnvironment(loadRepoStack(stack));
    const stores = plan.workloads.filter((w) => w.role === "datastore").map((w) => w.name);
    assert.ok(stores.length >= 2);
    for (const store of stores) {
      const job = plan.jobs.find((j) => j.labels["ops-baseline/backup-of"] === store && j.name === `${store}-backup`);
      assert.ok(job, `${store} is backed up`);
      assert.equal(job.schedule, "30 2 * * *");
      assert.ok(job.secretEnv.length > 0, "credentials come from secrets");
      assert.ok(job.connectsTo.includes(store) && job.connectsTo.includes("pushgateway"));
    }
    assert.ok(plan.jobs.some((j) => j.name === "postgres-restore-drill" && j.schedule === "0 4 * * 0"));
  });
}

test("disabling a data store's backup must be explicit, and must name a data store", () => {
  const doc = parseYaml(readStackFileText("dev"));
  doc.config["ops-baseline:backup"] = { dataStores: { redis: { enabled: false } } };
  const config = loadStackConfig(stackFileInputFromText("dev", stringify(doc)));
  assert.ok(!planEnvironment(config).jobs.some((j) => j.name === "redis-backup"));
  doc.config["ops-baseline:backup"] = { dataStores: { mysql: { enabled: false } }, schedule: "61 * * * *" };
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", stringify(doc))),
    (e: unknown) => e instanceof ConfigError && /backup\.schedule: .*minute "61" must be/.test(e.message),
  );
  doc.config["ops-baseline:backup"] = { dataStores: { mysql: { enabled: false } } };
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", stringify(doc))),
    (e: unknown) => e instanceof ConfigError && /backup\.dataStores\.mysql: names no data store/.test(e.message),
  );
});

test("volume archives name a persistent volume of a service", () => {
  const dev = planEnvironment(loadRepoStack("dev"));
  const archive = dev.jobs.find((j) => j.name === "api-logs-archive");
  assert.ok(archive, "dev archives the API's logs volume");
  assert.deepEqual(
    archive.volumes.find((v) => v.mountPath === "/source"),
    {
      name: "source",
      mountPath: "/source",
      sizeBytes: 0,
      persistent: true,
      readOnly: true,
      sharedFrom: { workload: "api", volume: "logs" },
    },
  );
  const doc = parseYaml(readStackFileText("dev"));
  doc.config["ops-baseline:backup"] = {
    volumes: [
      { service: "api", volume: "cache" },
      { service: "web", volume: "logs" },
    ],
  };
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", stringify(doc))),
    (e: unknown) =>
      e instanceof ConfigError &&
      /backup\.volumes\.0\.volume: is not a persistent volume of api; expected one of: logs/.test(e.message) &&
      /backup\.volumes\.1\.service: names no service/.test(e.message),
  );
});
