// Only what the stack has: a data store engine's alerts, their promtool tests, runbook sections,
// exporter and scrape job exist only where the stack declares that engine, and its secrets and
// the backups' secrets are required only where something uses them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { renderPromtoolTests } from "../../components/alerts/promtool-tests";
import { renderStackDocs } from "../opsdocs";
import { planEnvironment } from "../plan";
import { editedStackInput, loaderProblems, type ConfigEdit } from "../../test/support/stack-files";
import { loadStackConfig } from "./load";

const ENGINES = {
  postgresql: {
    store: "postgres",
    alerts: ["PostgresConnectionsWarning", "PostgresConnectionsCritical", "PostgresDown"],
    secrets: ["postgresPassword", "postgresAppPassword", "postgresMonitorPassword", "postgresBackupPassword"],
  },
  redis: { store: "redis", alerts: ["RedisConnectionsWarning", "RedisConnectionsCritical", "RedisDown"], secrets: [] },
} as const;

/** Takes a data store out of the stack file: the store, what names it, and its secrets. */
function withoutStore(store: string, secrets: readonly string[]): ConfigEdit {
  return (config) => {
    delete config["ops-baseline:dataStores"][store];
    const api = config["ops-baseline:services"].api;
    api.dependsOn = api.dependsOn.filter((d: string) => d !== store);
    const prefix = store === "postgres" ? "DATABASE_" : "REDIS_";
    for (const field of ["env", "secretEnv"]) {
      for (const key of Object.keys(api[field] ?? {})) if (key.startsWith(prefix)) delete api[field][key];
    }
    const jobs = config["ops-baseline:jobs"] ?? {};
    for (const [name, job] of Object.entries<{ dataStore?: string }>(jobs)) {
      if (job.dataStore === store) delete jobs[name];
    }
    for (const secret of secrets) delete config["ops-baseline:secrets"][secret];
  };
}

/** Backs up nothing: no volumes, every data store's backup off. */
const nothingBackedUp: ConfigEdit = (config) => {
  const stores = Object.keys(config["ops-baseline:dataStores"]);
  config["ops-baseline:backup"] = {
    ...config["ops-baseline:backup"],
    volumes: [],
    dataStores: Object.fromEntries(stores.map((s) => [s, { enabled: false }])),
  };
};

/** Backs up the API's log volume and nothing else. */
const onlyVolumes: ConfigEdit = (config) => {
  nothingBackedUp(config);
  const api = config["ops-baseline:services"].api;
  api.volumes = api.volumes.map((v: { name: string }) => (v.name === "logs" ? { ...v, persistent: true } : v));
  config["ops-baseline:backup"].volumes = [{ service: "api", volume: "logs" }];
};

const withoutSecrets =
  (...names: string[]): ConfigEdit =>
  (config) => {
    for (const name of names) delete config["ops-baseline:secrets"][name];
  };

const chain =
  (...edits: ConfigEdit[]): ConfigEdit =>
  (config) => {
    for (const edit of edits) edit(config);
  };

/** The alert names of a plan's rule files, and of its promtool tests. */
function alertNames(plan: ReturnType<typeof planEnvironment>) {
  const rules = plan.monitoring!.ruleFiles.flatMap(
    (f) => (parseYaml(f.content) as { groups: Array<{ rules: Array<{ alert?: string }> }> }).groups,
  );
  const tests = parseYaml(
    renderPromtoolTests(
      plan.config.alerts,
      plan.monitoring!.context,
      plan.monitoring!.ruleFiles.map((f) => f.name),
    ),
  ) as { tests: Array<{ alert_rule_test: Array<{ alertname: string }> }> };
  return {
    rules: new Set(rules.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])))),
    tests: new Set(tests.tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname))),
  };
}

function docsOf(stack: string, plan: ReturnType<typeof planEnvironment>) {
  return renderStackDocs({
    stack,
    stackFile: `Pulumi.${stack}.yaml`,
    plan,
    attachments: { workloads: {}, alerts: {} },
    regenerate: `npm run docs -- ${stack}`,
  });
}

for (const stack of ["dev", "prod"]) {
  for (const [engine, { store, alerts, secrets }] of Object.entries(ENGINES)) {
    test(`${stack} without ${engine}: no ${engine} alert, test, runbook section, exporter or scrape job, and none of its secrets required`, () => {
      // Loads with the store's secrets gone (and, for PostgreSQL, the pgBackRest cipher pass).
      const gone = engine === "postgresql" ? [...secrets, "pgbackrestCipherPass"] : [...secrets];
      const config = loadStackConfig(editedStackInput(stack, withoutStore(store, gone)));
      assert.equal(config.dataStores[store], undefined);
      const plan = planEnvironment(config);
      const names = alertNames(plan);
      const docs = docsOf(stack, plan);
      for (const alert of alerts) {
        assert.ok(!names.rules.has(alert), `${alert} has no rule`);
        assert.ok(!names.tests.has(alert), `${alert} has no promtool test`);
        assert.ok(!docs.get("RUNBOOK.md")!.includes(`#### ${alert}`), `${alert} has no runbook section`);
        assert.ok(!docs.get("RUNBOOK.md")!.includes(`<a id="${alert.toLowerCase()}">`), `${alert} has no anchor`);
        assert.ok(!docs.get("TROUBLESHOOTING.md")!.includes(`#${alert.toLowerCase()})`), `${alert} is not linked`);
      }
      assert.equal(plan.monitoring!.context.watchedEngines?.includes(engine as "postgresql" | "redis"), false);
      assert.ok(!plan.workloads.some((w) => w.name === `${store}-exporter`), "no exporter workload");
      assert.ok(!plan.monitoring!.prometheusConfig.includes(`${store}-exporter`), "no scrape job of the exporter");
      // Every rule that remains has its section, once.
      const runbook = docs.get("RUNBOOK.md")!;
      for (const alert of names.rules) {
        assert.equal(runbook.split(`<a id="${alert.toLowerCase()}"></a>`).length - 1, 1, `${alert}: one anchor`);
      }
    });

    test(`${stack} with ${engine}: its alerts, their tests and sections, and its exporter exist`, () => {
      const plan = planEnvironment(loadStackConfig(editedStackInput(stack)));
      const names = alertNames(plan);
      const runbook = docsOf(stack, plan).get("RUNBOOK.md")!;
      for (const alert of alerts) {
        assert.ok(names.rules.has(alert) && names.tests.has(alert), alert);
        assert.ok(runbook.includes(`#### ${alert}`), alert);
      }
      assert.ok(plan.workloads.some((w) => w.name === `${store}-exporter`));
    });
  }

  test(`${stack} with the PostgreSQL exporter off: no PostgreSQL alert`, () => {
    const plan = planEnvironment(
      loadStackConfig(
        editedStackInput(stack, (config) => {
          const m = (config["ops-baseline:monitoring"] ??= {});
          m.exporters = { ...m.exporters, postgres: { ...m.exporters?.postgres, enabled: false } };
        }),
      ),
    );
    const names = alertNames(plan);
    for (const alert of ENGINES.postgresql.alerts) assert.ok(!names.rules.has(alert), alert);
    assert.ok(names.rules.has("RedisDown"));
  });

  test(`${stack} backing up nothing requires no backup secret`, () => {
    const backupSecrets = ["pgbackrestCipherPass", "resticPassword", "backupS3AccessKey", "backupS3SecretKey"];
    const config = loadStackConfig(editedStackInput(stack, chain(nothingBackedUp, withoutSecrets(...backupSecrets))));
    assert.deepEqual(
      planEnvironment(config).jobs.filter((j) => j.role === "backup"),
      [],
    );
  });

  test(`${stack} backing up only a volume requires the restic password, not the pgBackRest cipher pass`, () => {
    loadStackConfig(editedStackInput(stack, chain(onlyVolumes, withoutSecrets("pgbackrestCipherPass"))));
    const problems = loaderProblems(editedStackInput(stack, chain(onlyVolumes, withoutSecrets("resticPassword"))));
    assert.ok(
      problems.some((p) => p.includes("backup.restic.passwordSecret") && p.includes('"resticPassword"')),
      problems.join("\n"),
    );
  });

  test(`${stack} backing up PostgreSQL requires the pgBackRest cipher pass`, () => {
    const problems = loaderProblems(editedStackInput(stack, withoutSecrets("pgbackrestCipherPass")));
    assert.ok(
      problems.some((p) => p.includes("backup.pitr.cipherPassSecret") && p.includes('"pgbackrestCipherPass"')),
      problems.join("\n"),
    );
  });
}

test("prod backing up only a volume still requires the S3 keys (restic writes to the bucket)", () => {
  const problems = loaderProblems(editedStackInput("prod", chain(onlyVolumes, withoutSecrets("backupS3AccessKey"))));
  assert.ok(
    problems.some((p) => p.includes("backup.pitr.repository.accessKeySecret") && p.includes('"backupS3AccessKey"')),
    problems.join("\n"),
  );
});
