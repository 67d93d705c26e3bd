// The real program under Pulumi mocks, for every stack file: which resources are registered
// and with what properties. Each run uses the repository's Pulumi.<stack>.yaml.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { MORE_RECEIVERS, NATIVE_RECEIVERS, NEW_SECRETS, prodWithReceivers } from "../support/receivers";
import { plainSecretLeaks, runProgram, SECRET_SIG, type RecordedResource } from "../support/program";
import { readStackFileText } from "../support/stack-files";

function unwrap(value: any): any {
  return value && typeof value === "object" && SECRET_SIG in value ? value.value : value;
}

const CONTAINER = "docker:index/container:Container";

/** The prod stack file as deployed to a cluster: without renderYamlToDirectory. */
function prodDeployed(): string {
  const text = readStackFileText("prod");
  const out = text.replace(/^\s*renderYamlToDirectory:.*\n/m, "");
  assert.notEqual(out, text, "Pulumi.prod.yaml renders manifests");
  return out;
}

test("dev: every resource sits below one Environment component", async () => {
  const run = await runProgram("dev");
  const env = run.byType("ops-baseline:index:Environment");
  assert.equal(env.length, 1);
  assert.equal(run.byType("ops-baseline:docker:Target").length, 1);
  assert.equal(run.byType("kubernetes:core/v1:Namespace").length, 0, "dev places nothing on Kubernetes");
});

test("dev: containers have healthchecks, restart policy, limits, capped logs, 127.0.0.1 ports", async () => {
  const run = await runProgram("dev");
  const containers = run.byType(CONTAINER);
  assert.ok(containers.length >= 3, `containers: ${containers.map((c) => c.name).join(", ")}`);
  for (const c of containers) {
    const i = c.inputs as Record<string, any>;
    assert.ok(i.memory > 0, `${c.name} has a memory limit`);
    assert.ok(Number(i.cpus) > 0, `${c.name} has a CPU limit`);
    assert.equal(i.logDriver, "json-file", c.name);
    assert.equal(i.logOpts["max-size"], "9765k", `${c.name} caps its log at 10 MB`);
    assert.equal(i.logOpts["max-file"], "5", c.name);
    assert.deepEqual(i.capabilities, { drops: ["ALL"] }, c.name);
    assert.ok(i.securityOpts.includes("no-new-privileges:true"), c.name);
    for (const p of i.ports ?? []) assert.equal(p.ip, "127.0.0.1", `${c.name} publishes on loopback only`);
  }
  const api = run.one(CONTAINER, "api").inputs as Record<string, any>;
  assert.equal(api.restart, "unless-stopped");
  assert.equal(api.user, "10001:10001");
  assert.equal(api.readOnly, true);
  assert.deepEqual(api.ports, [{ internal: 3000, external: 3000, ip: "127.0.0.1", protocol: "tcp" }]);
  assert.equal(api.healthcheck.interval, "10s");
  assert.equal(api.healthcheck.startPeriod, "40s", "the C0Di3 start period");
  assert.match(api.healthcheck.tests.join(" "), /GET \/ready HTTP\/1\.0/);
  assert.equal(api.wait, true, "dependents wait until it is healthy");
});

test("dev: start order follows depends-on, data lives in named volumes", async () => {
  const run = await runProgram("dev");
  const names = run.byType(CONTAINER).map((c) => c.name);
  assert.ok(names.indexOf("postgres") < names.indexOf("api"));
  assert.ok(names.indexOf("redis") < names.indexOf("api"));
  const pg = run.one(CONTAINER, "postgres").inputs as Record<string, any>;
  const data = pg.mounts.find((m: any) => m.target === "/var/lib/postgresql/data");
  assert.deepEqual(data, {
    target: "/var/lib/postgresql/data",
    type: "volume",
    source: "ops-baseline-dev-postgres-data",
    readOnly: false,
  });
  assert.ok(run.byType("docker:index/volume:Volume").some((v) => v.inputs.name === "ops-baseline-dev-postgres-data"));
  const network = run.byType("docker:index/network:Network");
  assert.equal(network.length, 1);
  assert.equal(unwrap(pg.networksAdvanced)[0].name, "ops-baseline-dev");
});

test("dev: the API image is built from the repository's Dockerfile", async () => {
  const run = await runProgram("dev");
  const image = run.byType("docker:index/image:Image").find((i) => i.inputs.imageName === "ops-baseline/api:0.1.0");
  assert.ok(image, "an Image resource for the API");
  const build = image.inputs.build as Record<string, string>;
  assert.match(build.dockerfile, /apps\/api\/Dockerfile$/);
  assert.equal(image.inputs.skipPush, true);
});

for (const stack of ["dev", "prod"]) {
  test(`${stack}: secrets reach resources only as Pulumi secrets`, async () => {
    // prod as deployed to a cluster (in render mode no secret value reaches a resource at all).
    const run = stack === "prod" ? await runProgram(stack, prodDeployed()) : await runProgram(stack);
    const leaks = run.resources.flatMap((r: RecordedResource) =>
      plainSecretLeaks(r.inputs).map((p) => `${r.type} ${r.name}${p}`),
    );
    assert.deepEqual(leaks, []);
    // And they do reach them: the stand-in is inside a secret somewhere.
    assert.ok(JSON.stringify(run.resources.map((r) => r.inputs)).includes("test-secret:secrets.postgresPassword"));
  });
}

for (const receivers of [NATIVE_RECEIVERS, MORE_RECEIVERS]) {
  for (const stack of ["dev", "prod"]) {
    test(`${stack} with ${receivers.paging.type} and ${receivers.ticket.type} receivers: keys reach resources only as secrets`, async () => {
      const text = prodWithReceivers(receivers, NEW_SECRETS, stack);
      const run = await runProgram(
        stack,
        stack === "prod" ? text.replace(/^\s*renderYamlToDirectory:.*\n/m, "") : text,
      );
      const leaks = run.resources.flatMap((r: RecordedResource) =>
        plainSecretLeaks(r.inputs).map((p) => `${r.type} ${r.name}${p}`),
      );
      assert.deepEqual(leaks, []);
      const all = JSON.stringify(run.resources.map((r) => r.inputs));
      for (const secret of Object.values(receivers).flatMap((r) =>
        Object.entries(r)
          .filter(([k]) => k.endsWith("Secret"))
          .map(([, v]) => v),
      )) {
        assert.ok(all.includes(`test-secret:secrets.${secret}`), `${secret} reaches Alertmanager (inside a secret)`);
      }
    });
  }
}

const K8S = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  service: "kubernetes:core/v1:Service",
  namespace: "kubernetes:core/v1:Namespace",
};

test("prod: a namespace, a Deployment for the API and StatefulSets for the data stores", async () => {
  const run = await runProgram("prod");
  const ns = run.one(K8S.namespace, "ops-baseline").inputs as any;
  assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  const api = run.one(K8S.deployment, "deployment-api").inputs as any;
  assert.equal(api.spec.replicas, 2);
  for (const store of ["postgres", "redis"]) {
    const sts = run.one(K8S.statefulSet, `statefulset-${store}`).inputs as any;
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, "data");
    assert.equal(sts.spec.persistentVolumeClaimRetentionPolicy.whenDeleted, "Retain");
  }
  assert.equal(run.byType(K8S.deployment).length + run.byType(K8S.statefulSet).length >= 3, true);
});

test("prod: probes, requests and limits, restricted security context on every container", async () => {
  const run = await runProgram("prod");
  for (const r of [...run.byType(K8S.deployment), ...run.byType(K8S.statefulSet)]) {
    const pod = (r.inputs as any).spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true, r.name);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault", r.name);
    // Only what reads the Kubernetes API (Prometheus, kube-state-metrics) has an identity.
    assert.equal(pod.automountServiceAccountToken, pod.serviceAccountName !== undefined, r.name);
    if (pod.serviceAccountName) assert.ok(["prometheus", "kube-state-metrics"].includes(pod.serviceAccountName));
    for (const [i, c] of pod.containers.entries()) {
      assert.ok(c.livenessProbe, `${r.name}/${c.name} liveness`);
      // Only the serving container decides readiness; a sidecar's would gate the Service.
      assert.equal(Boolean(c.readinessProbe), i === 0, `${r.name}/${c.name} readiness`);
      assert.ok(c.resources.requests.cpu && c.resources.limits.memory, `${r.name}/${c.name} resources`);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"] });
      assert.equal(c.securityContext.runAsNonRoot, true);
    }
  }
  const api = (run.one(K8S.deployment, "deployment-api").inputs as any).spec.template.spec.containers[0];
  assert.deepEqual(api.livenessProbe.httpGet, { path: "/health", port: 3000 });
  assert.deepEqual(api.readinessProbe.httpGet, { path: "/ready", port: 3000 });
  assert.equal(api.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(api.resources, {
    requests: { cpu: "250m", memory: "128Mi" },
    limits: { cpu: "1", memory: "512Mi" },
  });
  const dbPassword = api.env.find((e: any) => e.name === "DATABASE_PASSWORD");
  assert.deepEqual(dbPassword.valueFrom, { secretKeyRef: { name: "api-env", key: "postgresAppPassword" } });
});

test("prod: a PodDisruptionBudget for every multi-replica workload", async () => {
  const run = await runProgram("prod");
  const multi = [...run.byType(K8S.deployment), ...run.byType(K8S.statefulSet)].filter(
    (r) => (r.inputs as any).spec.replicas > 1,
  );
  assert.ok(multi.length > 0);
  const pdbs = run.byType(K8S.pdb).map((p) => (p.inputs as any).metadata.name);
  for (const r of multi) assert.ok(pdbs.includes((r.inputs as any).metadata.name), `PDB for ${r.name}`);
});

test("prod: default-deny network policy, and the API may reach its data stores", async () => {
  const run = await runProgram("prod");
  const deny = run.one(K8S.netpol, "networkpolicy-default-deny").inputs as any;
  assert.deepEqual(deny.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  const pg = run.one(K8S.netpol, "networkpolicy-postgres").inputs as any;
  const fromApi = pg.spec.ingress.find((rule: any) =>
    rule.from?.some((f: any) => f.podSelector.matchLabels["app.kubernetes.io/name"] === "api"),
  );
  assert.ok(fromApi, "postgres accepts the API");
  assert.deepEqual(fromApi.ports, [{ port: 5432, protocol: "TCP" }]);
  const api = run.one(K8S.netpol, "networkpolicy-api").inputs as any;
  assert.ok(
    api.spec.ingress.some((rule: any) => !rule.from && rule.ports[0].port === 3000),
    "external port open",
  );
  const egressTargets = api.spec.egress.flatMap(
    (e: any) => e.to?.map((t: any) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"]) ?? [],
  );
  assert.ok(egressTargets.includes("postgres") && egressTargets.includes("redis"));
});

test("a bad stack file fails before any resource is registered", async () => {
  const doc = parseYaml(readStackFileText("dev"));
  doc.config["ops-baseline:servcies"] = doc.config["ops-baseline:services"];
  await assert.rejects(runProgram("dev", stringify(doc)), /ops-baseline:servcies: unknown key/);
});

test("dev: monitoring fits the RAVE safe-mode envelope and is built from Debian images", async () => {
  const run = await runProgram("dev");
  const prom = run.one(CONTAINER, "prometheus").inputs as Record<string, any>;
  assert.equal(prom.memory, 256, "Prometheus is limited to 256 MB");
  assert.ok(prom.uploads.some((u: any) => u.file === "/etc/prometheus/prometheus.yml"));
  assert.ok(prom.command.includes("--web.enable-lifecycle"));
  const am = run.one(CONTAINER, "alertmanager").inputs as Record<string, any>;
  assert.ok(am.uploads.some((u: any) => u.file === "/etc/alertmanager/alertmanager.yml"));
  assert.equal(
    run.byType(CONTAINER).filter((c) => c.name === "grafana").length,
    0,
    "no Grafana image in Debian: off in dev",
  );
  for (const image of run.byType("docker:index/image:Image")) {
    assert.match((image.inputs.build as any).dockerfile, /\/(images\/[a-z-]+|apps\/api)\/Dockerfile$/, image.name);
  }
});

test("prod: Grafana gets its admin password from a secret and Alertmanager its receiver URLs", async () => {
  const run = await runProgram("prod", prodDeployed());
  const grafana = (run.one(K8S.statefulSet, "statefulset-grafana").inputs as any).spec.template.spec.containers[0];
  const admin = grafana.env.find((e: any) => e.name === "GF_SECURITY_ADMIN_PASSWORD");
  assert.deepEqual(admin.valueFrom, { secretKeyRef: { name: "grafana-env", key: "grafanaAdminPassword" } });
  assert.equal(grafana.env.find((e: any) => e.name === "GF_AUTH_ANONYMOUS_ENABLED").value, "false");
  const amSecret = run.one("kubernetes:core/v1:Secret", "alertmanager-secret-files").inputs as any;
  // Each receiver secret is a file of its own (url_file), so alertmanager.yml is a plain ConfigMap.
  assert.equal(
    unwrap(amSecret.stringData)["etc_alertmanager-secrets_pagingWebhookUrl"],
    "test-secret:secrets.pagingWebhookUrl",
  );
  const amFiles = (run.one("kubernetes:core/v1:ConfigMap", "configmap-alertmanager-files").inputs as any).data;
  assert.match(amFiles["etc_alertmanager_alertmanager.yml"], /url_file: \/etc\/alertmanager-secrets\/pagingWebhookUrl/);
  assert.doesNotMatch(amFiles["etc_alertmanager_alertmanager.yml"], /test-secret:/);
  // Prometheus re-reads its configuration and rules (config-reloader sidecar), no restart;
  // Grafana and the blackbox exporter read theirs at start, so a checksum rolls them.
  const prom = (run.one(K8S.statefulSet, "statefulset-prometheus").inputs as any).spec.template;
  assert.equal(prom.metadata.annotations?.["ops-baseline/config-sha256"], undefined);
  const reloader = prom.spec.containers.find((c: any) => c.name === "config-reloader");
  assert.ok(reloader.args.includes("--reload-url=http://127.0.0.1:9090/-/reload"));
  assert.deepEqual(reloader.volumeMounts, [{ name: "files-0", mountPath: "/etc/prometheus", readOnly: true }]);
  for (const name of ["statefulset-grafana", "deployment-blackbox-exporter"]) {
    const kind = name.startsWith("statefulset") ? K8S.statefulSet : K8S.deployment;
    const t = (run.one(kind, name).inputs as any).spec.template;
    assert.match(t.metadata.annotations["ops-baseline/config-sha256"], /^[0-9a-f]{64}$/, name);
  }
  const netpol = run.one(K8S.netpol, "networkpolicy-api").inputs as any;
  const fromPrometheus = netpol.spec.ingress.some((r: any) =>
    r.from?.some((f: any) => f.podSelector.matchLabels["app.kubernetes.io/name"] === "prometheus"),
  );
  assert.ok(fromPrometheus, "Prometheus may scrape the API");
});

test("prod: backups are CronJobs that never overlap, with deadlines and history limits", async () => {
  const run = await runProgram("prod");
  const cronJobs = run.byType("kubernetes:batch/v1:CronJob").map((j) => j.inputs as any);
  const component = (j: any) => j.metadata.labels["app.kubernetes.io/component"];
  // The Pushgateway clean-up is monitoring housekeeping, not a backup: no backup alert lists it.
  const prune = cronJobs.find((j) => j.metadata.name === "backup-metrics-prune");
  assert.equal(prune && component(prune), "monitoring");
  const jobs = [prune, ...cronJobs.filter((j) => component(j) === "backup")];
  assert.deepEqual(jobs.map((j) => j.metadata.name).sort(), [
    "backup-metrics-prune",
    "postgres-backup",
    "postgres-restore-drill",
    "redis-backup",
  ]);
  for (const j of jobs) {
    assert.equal(j.spec.concurrencyPolicy, "Forbid");
    assert.equal(j.spec.startingDeadlineSeconds, 600);
    assert.equal(j.spec.successfulJobsHistoryLimit, 3);
    assert.equal(j.spec.failedJobsHistoryLimit, 3);
    assert.equal(j.spec.jobTemplate.spec.backoffLimit, 1);
    assert.equal(j.spec.jobTemplate.spec.activeDeadlineSeconds, 7200);
    const pod = j.spec.jobTemplate.spec.template.spec;
    assert.equal(pod.restartPolicy, "Never");
    assert.equal(pod.containers[0].securityContext.runAsNonRoot, true);
  }
  const claim = run.one("kubernetes:core/v1:PersistentVolumeClaim", "persistentvolumeclaim-postgres-backup-backups")
    .inputs as any;
  assert.equal(claim.spec.resources.requests.storage, "100Gi");
});

test("prod: the stack's own jobs (C0Di3's weekly VACUUM ANALYZE, monthly REINDEX) are CronJobs that report", async () => {
  const run = await runProgram("prod");
  const jobs = run
    .byType("kubernetes:batch/v1:CronJob")
    .map((j) => j.inputs as any)
    .filter((j) => j.metadata.labels["app.kubernetes.io/component"] === "job");
  assert.deepEqual(
    jobs.map((j) => [j.metadata.name, j.spec.schedule, j.spec.jobTemplate.spec.activeDeadlineSeconds]).sort(),
    [
      ["reindex", "0 4 1 * *", 7230],
      ["vacuum-analyze", "0 3 * * 0", 3630],
    ],
  );
  for (const j of jobs) {
    assert.equal(j.spec.concurrencyPolicy, "Forbid");
    const container = j.spec.jobTemplate.spec.template.spec.containers[0];
    assert.equal(container.command[0], "/opt/ops-baseline/bin/run-job");
    assert.ok(container.env.some((e: any) => e.name === "PGPASSWORD" && e.valueFrom?.secretKeyRef));
  }
});

test("dev: backups run in scheduler containers on a backup volume; the API rotates its log files", async () => {
  const run = await runProgram("dev");
  const backup = run.one(CONTAINER, "postgres-backup").inputs as Record<string, any>;
  assert.deepEqual(backup.entrypoints, ["/opt/ops-baseline/bin/schedule"]);
  assert.deepEqual(backup.command, ["30 2 * * *", "--", "/opt/ops-baseline/bin/backup-postgres"]);
  assert.ok(
    backup.mounts.some((m: any) => m.source === "ops-baseline-dev-postgres-backup-backups" && m.target === "/backups"),
  );
  // The drill reads the pgBackRest repository (dev: the postgres workload's volume) read-only and
  // mounts no dump volume: it restores into its own scratch space.
  const drill = run.one(CONTAINER, "postgres-restore-drill").inputs as Record<string, any>;
  assert.ok(drill.mounts.some((m: any) => m.source === "ops-baseline-dev-postgres-pgbackrest" && m.readOnly === true));
  assert.ok(!drill.mounts.some((m: any) => m.source === "ops-baseline-dev-postgres-backup-backups"));
  const sidecar = run.one(CONTAINER, "postgres-pgbackrest").inputs as Record<string, any>;
  assert.ok(sidecar.mounts.some((m: any) => m.source === "ops-baseline-dev-postgres-data"));
  assert.ok(sidecar.mounts.some((m: any) => m.source === "ops-baseline-dev-postgres-pgbackrest" && !m.readOnly));
  const rotate = run.one(CONTAINER, "api-logrotate").inputs as Record<string, any>;
  assert.ok(rotate.mounts.some((m: any) => m.source === "ops-baseline-dev-api-logs" && m.target === "/app/logs"));
  assert.equal(rotate.user, "10001:10001");
  for (const c of run.byType(CONTAINER)) {
    assert.equal((c.inputs as any).logOpts["max-file"], "5", `${c.name} caps its stdout log`);
  }
});

test("dev: containers send `cpus` and healthcheck durations in the form the Docker provider reads back", async () => {
  // The provider reads the engine's NanoCPUs back as "1.0" and healthcheck durations as Go's
  // time.Duration text ("2m0s"); any other spelling differs on every later preview and replaces
  // the container. These are the exact values the program sends.
  const run = await runProgram("dev");
  const sent = (name: string) => run.one(CONTAINER, name).inputs as Record<string, any>;
  assert.equal(sent("postgres").cpus, "1.0");
  assert.equal(sent("redis").cpus, "1.0");
  assert.equal(sent("postgres-backup").cpus, "1.0");
  assert.equal(sent("api").cpus, "0.5");
  assert.equal(sent("node-exporter").cpus, "0.2");
  assert.deepEqual(
    [
      sent("postgres").healthcheck.interval,
      sent("postgres").healthcheck.timeout,
      sent("postgres").healthcheck.startPeriod,
    ],
    // PostgreSQL's startup budget covers crash recovery (5 s x 360).
    ["10s", "5s", "30m0s"],
  );
  // Prometheus' startup budget covers WAL replay of a large TSDB (15 s x 120).
  assert.equal(sent("prometheus").healthcheck.startPeriod, "30m0s");
  assert.equal(sent("api-logrotate").healthcheck.interval, "1m0s");
  assert.equal(sent("api").healthcheck.startPeriod, "40s");
  const goDuration = /^(0s|(\d+h)?(\d+m)?(\d+(\.\d+)?s))$/;
  for (const c of run.byType(CONTAINER)) {
    const i = c.inputs as Record<string, any>;
    assert.match(i.cpus, /^\d+\.\d+$/, `${c.name}: cpus ${i.cpus}`);
    for (const key of ["interval", "timeout", "startPeriod"]) {
      const value = i.healthcheck?.[key];
      if (value === undefined) continue;
      assert.match(value, goDuration, `${c.name}: healthcheck.${key} ${value}`);
      assert.ok(
        !/^\d+s$/.test(value) || parseInt(value, 10) < 60,
        `${c.name}: healthcheck.${key} ${value} is not Go's form`,
      );
    }
  }
});

test("prod in render mode: rendered Secrets hold placeholders, never a secret value", async () => {
  const run = await runProgram("prod");
  const secrets = run.byType("kubernetes:core/v1:Secret");
  assert.ok(secrets.length >= 3);
  for (const sec of secrets) {
    const data = unwrap((sec.inputs as any).stringData) as Record<string, string>;
    for (const [key, value] of Object.entries(data)) {
      assert.doesNotMatch(value, /test-secret:/, `${sec.name}: ${key} holds a secret value`);
    }
  }
  const am = unwrap((run.one("kubernetes:core/v1:Secret", "alertmanager-secret-files").inputs as any).stringData);
  assert.equal(
    am["etc_alertmanager-secrets_pagingWebhookUrl"],
    "<secret pagingWebhookUrl: set at deploy time, not rendered>",
  );
});
