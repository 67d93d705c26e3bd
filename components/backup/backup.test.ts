import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { ConfigError, loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import {
  loadRepoStack,
  readStackFileText,
  REPO_ROOT,
  stackFileInputFromText,
  STACKS,
} from "../../test/support/stack-files";
import { networkPolicies } from "../targets/kubernetes/network";
import { redisVersions } from "./images";
import { backupsToKeep, isoWeek } from "../../test/support/retention-oracle";

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
    assert.ok(plan.jobs.some((j) => j.name === "postgres-restore-drill" && j.schedule === "30 6 * * 0"));
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
    (e: unknown) =>
      e instanceof ConfigError &&
      /backup\.schedule: "61 \* \* \* \*" is not a valid cron expression: Invalid value for minute: 61/.test(e.message),
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

test("both stacks archive PostgreSQL WAL with pgBackRest; prod to S3 with its keys as secrets", () => {
  for (const stack of STACKS) {
    const plan = planEnvironment(loadRepoStack(stack));
    const postgres = plan.workloads.find((w) => w.name === "postgres")!;
    assert.ok(postgres.args?.includes("archive_command=pgbackrest archive-push %p"), `${stack}: archive_command`);
    assert.ok(postgres.args?.includes("archive_timeout=60s"), `${stack}: archive_timeout`);
    const sidecar = postgres.sidecars.find((s) => s.name === "pgbackrest");
    assert.ok(sidecar, `${stack}: the pgbackrest sidecar`);
    assert.equal(sidecar.env.BACKUP_NAME, "postgres-pitr");
    const secrets = sidecar.secretEnv.map((e) => e.name).sort();
    assert.ok(secrets.includes("PGBACKREST_REPO1_CIPHER_PASS"), `${stack}: encrypted repository`);
    for (const value of Object.values(sidecar.env)) assert.doesNotMatch(value, /example-|replace-me/);
    if (stack === "prod") {
      assert.equal(sidecar.env.PGBACKREST_REPO1_TYPE, "s3");
      assert.deepEqual(secrets, [
        "PGBACKREST_REPO1_CIPHER_PASS",
        "PGBACKREST_REPO1_S3_KEY",
        "PGBACKREST_REPO1_S3_KEY_SECRET",
        "PGPASSWORD",
      ]);
    }
    // pgBackRest connects as the backup role, in the database ensure-roles grants it in; the
    // exporter as the monitoring role; the application as its own role.
    assert.equal(sidecar.env.PGBACKREST_PG1_USER, "backup", `${stack}: pgBackRest's role`);
    assert.equal(sidecar.env.PGBACKREST_PG1_DATABASE, "core_agent");
    assert.deepEqual(
      sidecar.secretEnv.find((e) => e.name === "PGPASSWORD"),
      { name: "PGPASSWORD", secret: "postgresBackupPassword" },
    );
    const exporter = plan.workloads.find((w) => w.name === "postgres-exporter");
    assert.ok(exporter, `${stack}: the PostgreSQL exporter`);
    assert.equal(exporter.env.DATA_SOURCE_USER, "monitor", `${stack}: the exporter's role`);
    assert.deepEqual(exporter.secretEnv, [{ name: "DATA_SOURCE_PASS", secret: "postgresMonitorPassword" }]);
    const api = plan.workloads.find((w) => w.name === "api")!;
    assert.equal(api.env.DATABASE_USER, "coreagent_app", `${stack}: the application's role`);
    const drill = plan.jobs.find((j) => j.name === "postgres-restore-drill")!;
    assert.equal(drill.env.DRILL_DIR, "/drill");
    assert.equal(drill.env.BACKUP_DIR, undefined, "the drill writes nothing into a backup volume");
    assert.ok(!drill.volumes.some((v) => v.name === "backups"), "the drill mounts no dump volume");
  }
});

test("a bad pitr section fails with the key and what would be right", () => {
  const doc = parseYaml(readStackFileText("prod"));
  const pitr = doc.config["ops-baseline:backup"].pitr;
  delete pitr.repository.bucket;
  pitr.archiveTimeout = "5m";
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("prod", stringify(doc))),
    (e: unknown) =>
      e instanceof ConfigError &&
      /backup\.pitr\.repository\.bucket/.test(e.message) &&
      /backup\.pitr\.archiveTimeout: must be between 1s and 60s/.test(e.message),
  );
  const noKey = parseYaml(readStackFileText("prod"));
  noKey.config["ops-baseline:backup"].pitr.repository.accessKeySecret = "nowhere";
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("prod", stringify(noKey))),
    (e: unknown) =>
      e instanceof ConfigError &&
      /backup\.pitr\.repository\.accessKeySecret: names secret "nowhere", which is not set/.test(e.message),
  );
});

test("prod: the PostgreSQL pod and the restore drill may reach the S3 repository; the pod reaches the Pushgateway", () => {
  const policyOf = (stack: string, name: string) => {
    const plan = planEnvironment(loadRepoStack(stack));
    const policies = networkPolicies(plan.workloads, plan.jobs, { namespace: "ns", commonLabels: {} });
    return policies.find((p) => p.metadata.name === name)!.spec as {
      egress: Array<{ to?: Array<Record<string, any>>; ports?: Array<{ port: number }> }>;
    };
  };
  const s3 = (policy: ReturnType<typeof policyOf>) =>
    policy.egress.filter((rule) => (rule.to ?? []).some((peer) => peer.ipBlock?.cidr === "0.0.0.0/0"));
  for (const name of ["postgres", "postgres-restore-drill"]) {
    const rules = s3(policyOf("prod", name));
    assert.equal(rules.length, 1, `${name}: one egress rule to the repository's addresses`);
    assert.deepEqual(rules[0].ports, [{ port: 443, protocol: "TCP" }]);
    assert.ok(rules[0].to![0].ipBlock.except.includes("10.0.0.0/8"), "private ranges stay closed");
  }
  const pushgateway = policyOf("prod", "postgres").egress.filter((rule) =>
    (rule.to ?? []).some((peer) => peer.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "pushgateway"),
  );
  assert.equal(pushgateway.length, 1, "the backup sidecar pushes its metrics to the Pushgateway");
  // dev keeps its repository on a volume: nothing leaves the network.
  assert.equal(s3(policyOf("dev", "postgres")).length, 0);
});

test("volume backups use restic: dev on the backup volume, an S3 repository beside pgBackRest's, password from a secret", () => {
  const dev = planEnvironment(loadRepoStack("dev"));
  const job = dev.jobs.find((j) => j.name === "api-logs-archive");
  assert.ok(job);
  assert.deepEqual(job.command, ["/opt/ops-baseline/bin/restic-backup"]);
  assert.equal(job.env.RESTIC_REPOSITORY, "/backups/restic/api-logs");
  assert.equal(job.env.RESTIC_CHECK_SUBSET, "100%");
  assert.deepEqual(job.secretEnv, [{ name: "RESTIC_PASSWORD", secret: "resticPassword" }]);
  assert.ok(job.volumes.some((v) => v.mountPath === "/backups" && !v.readOnly));
  assert.ok(job.volumes.some((v) => v.mountPath === "/source" && v.readOnly));
  assert.ok(!Object.values(job.env).some((v) => /password/i.test(v)));

  const doc = parseYaml(readStackFileText("prod"));
  doc.config["ops-baseline:services"].api.volumes = [
    { name: "logs", path: "/app/logs", size: "1Gi", persistent: true },
  ];
  doc.config["ops-baseline:backup"].volumes = [{ service: "api", volume: "logs" }];
  const prod = planEnvironment(loadStackConfig(stackFileInputFromText("prod", stringify(doc))));
  const s3 = prod.jobs.find((j) => j.name === "api-logs-archive");
  assert.ok(s3);
  assert.equal(
    s3.env.RESTIC_REPOSITORY,
    "s3:https://s3.eu-west-1.amazonaws.com:443/ops-baseline-prod-backups/restic/api-logs",
  );
  assert.equal(s3.env.KEEP_DAILY, "30");
  assert.equal(s3.env.BACKUP_DIR, undefined, "no backup volume: off-site only");
  assert.ok(!s3.volumes.some((v) => v.mountPath === "/backups"));
  assert.deepEqual(s3.secretEnv.map((s) => s.name).sort(), [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "RESTIC_PASSWORD",
  ]);
  assert.ok(
    (s3.egress ?? []).some((e) => e.ports.includes(443)),
    "egress to the bucket",
  );
});

test("restic settings are checked: a bad check share and a missing password secret name their keys", () => {
  const doc = parseYaml(readStackFileText("dev"));
  const backup = doc.config["ops-baseline:backup"];
  doc.config["ops-baseline:backup"] = { ...backup, restic: { checkSubset: "all" } };
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", stringify(doc))),
    (e: Error) =>
      e instanceof ConfigError &&
      /backup\.restic\.checkSubset: .*share of packs restic check reads back/.test(e.message),
  );
  doc.config["ops-baseline:backup"] = { ...backup, restic: { passwordSecret: "resticPasword" } };
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", stringify(doc))),
    (e: Error) =>
      e instanceof ConfigError &&
      /resticPasword.*backup\.restic\.passwordSecret|backup\.restic\.passwordSecret.*resticPasword/s.test(e.message),
  );
});

for (const stack of STACKS) {
  test(`${stack}: every Redis runs the version of the backup image's redis-check-rdb`, () => {
    const versions = redisVersions(loadRepoStack(stack), REPO_ROOT);
    assert.ok(versions.length >= 1, "the stack has a Redis");
    for (const v of versions) {
      assert.match(v.server ?? "", /^\d+\.\d+\.\d+$/, `${v.store}: ${v.serverFrom}`);
      assert.equal(
        v.server,
        v.tools,
        `${v.store}: server ${v.server} (${v.serverFrom}), tools ${v.tools} (${v.toolsFrom})`,
      );
    }
  });
}

test("a Redis newer than the backup tools is refused before anything is deployed (prod's former redis:7.2.5)", () => {
  const doc = parseYaml(readStackFileText("prod"));
  doc.config["ops-baseline:dataStores"].redis.image = "docker.io/library/redis:7.2.5-bookworm";
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("prod", stringify(doc))),
    (e: Error) =>
      /dataStores\.redis\.image: runs Redis 7\.2\.5 .* redis-check-rdb 7\.0\.15 \(ARG REDIS_VERSION in images\/backup\/Dockerfile\)/.test(
        e.message,
      ),
  );
  doc.config["ops-baseline:dataStores"].redis.image = "docker.io/library/redis:latest-bookworm";
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("prod", stringify(doc))),
    (e: Error) => /dataStores\.redis\.image: /.test(e.message),
  );
  // A Redis that is not backed up needs no matching tools.
  doc.config["ops-baseline:dataStores"].redis.image = "docker.io/library/redis:7.2.5-bookworm";
  doc.config["ops-baseline:backup"].dataStores = { redis: { enabled: false } };
  assert.doesNotThrow(() => loadStackConfig(stackFileInputFromText("prod", stringify(doc))));
});

test("a backed-up PostgreSQL with roles must run the project's image (the upstream one lacks pgBackRest and ensure-roles)", () => {
  const doc = parseYaml(readStackFileText("prod"));
  doc.config["ops-baseline:dataStores"].postgres.image = "docker.io/library/postgres:15.8-bookworm";
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("prod", stringify(doc))),
    (e: Error) =>
      /dataStores\.postgres\.image: docker\.io\/library\/postgres:15\.8-bookworm lacks pgBackRest \(WAL archiving\) and ensure-roles/.test(
        e.message,
      ),
  );
});
