// What the platform would refuse at deploy is refused at load, one test per class, each showing
// the loader's line: the file, the key and what would be right.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { parseSize } from "../../components/workloads/units";
import {
  type ConfigEdit,
  editedStackInput,
  loaderProblems,
  readStackFileText,
  stackFileInputFromText,
} from "../../test/support/stack-files";
import { loadStackConfig } from "./load";

const problemsOf = (stack: string, edit: ConfigEdit) => loaderProblems(editedStackInput(stack, edit));

const api = (c: Record<string, any>) => c["ops-baseline:services"].api;

test("a port name over 15 characters (IANA_SVC_NAME) is refused with a shorter one", () => {
  const problems = problemsOf("prod", (c) => {
    api(c).ports[0].name = "http-api-metrics-port";
    api(c).metrics.port = "http-api-metrics-port";
  });
  assert.deepEqual(problems, [
    `Pulumi.prod.yaml: ops-baseline:services.api.ports.0.name: "http-api-metrics-port" is 21 characters; a port name is an IANA service name: at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no "--" (Kubernetes refuses longer ones), e.g. "http-api-metric"`,
  ]);
  // 15 is the limit, not 14.
  const ok = parseYaml(readStackFileText("prod"));
  api(ok.config).ports[0].name = "http-api-metric";
  api(ok.config).metrics.port = "http-api-metric";
  for (const kind of ["liveness", "readiness", "startup"]) api(ok.config).health[kind].port = "http-api-metric";
  const config = loadStackConfig(stackFileInputFromText("prod", stringify(ok)));
  assert.equal(config.services.api.ports[0].name, "http-api-metric");
  assert.match(problemsOf("dev", (c) => (api(c).ports[0].name = "1234")).join("\n"), /"1234" is not a valid port name/);
});

test("a size without a unit is refused, with the unit spelt out", () => {
  assert.equal(parseSize("512").ok, false);
  assert.deepEqual(parseSize("512B"), { ok: true, value: 512 });
  const problems = problemsOf("dev", (c) => {
    api(c).resources = { limits: { memory: 268435456 } };
  });
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    /^Pulumi\.dev\.yaml: ops-baseline:services\.api\.resources\.limits\.memory: "268435456" has no unit; write it with one, e.g. "268435456Mi" or "268435456MB" \(units: B, K, KB/,
  );
  const storage = problemsOf("prod", (c) => (c["ops-baseline:dataStores"].postgres.storage = "20"));
  assert.match(storage.join("\n"), /ops-baseline:dataStores\.postgres\.storage: "20" has no unit/);
});

test("a key under a misspelt project namespace (which Pulumi ignores) is refused with did you mean", () => {
  const problems = problemsOf("dev", (c) => {
    c["ops-baselin:foo"] = "bar";
    c["ops_baseline:alerts"] = {};
    c["kubernetes:context"] = "kind-ops"; // another namespace altogether: a provider's, left alone
    api(c).replicas = -1;
  });
  // Reported with the rest of the file's problems, not instead of them.
  assert.match(problems.join("\n"), /ops-baseline:services\.api\.replicas: Too small/);
  assert.deepEqual(
    problems.filter((p) => !p.includes("replicas")),
    [
      `Pulumi.dev.yaml: ops_baseline:alerts: is under the namespace "ops_baseline", which no program reads (Pulumi ignores it without a word); did you mean ops-baseline:alerts?`,
      `Pulumi.dev.yaml: ops-baselin:foo: is under the namespace "ops-baselin", which no program reads (Pulumi ignores it without a word); did you mean ops-baseline:foo?`,
    ],
  );
});

test("a CronJob name over 52 characters is refused, naming the key and by how much to shorten it", () => {
  const store = "postgres-primary-for-the-core-agent-xxyy"; // 40 characters: a valid name on its own
  const problems = problemsOf("prod", (c) => {
    const stores = c["ops-baseline:dataStores"];
    stores[store] = structuredClone(stores.postgres);
  });
  assert.deepEqual(problems, [
    `Pulumi.prod.yaml: ops-baseline:dataStores.${store}: makes the Kubernetes CronJob "${store}-restore-drill" (54 characters), and Kubernetes refuses more than 52 there; shorten "${store}" by 2 characters (to at most 38)`,
  ]);
});

test("an object name or label value over 63 characters is refused with the key it comes from", () => {
  const broker = "broker-for-the-order-pipeline-in-the-eu1";
  const problems = problemsOf("prod", (c) => {
    c["ops-baseline:services"][broker] = {
      image: "docker.io/library/rabbitmq:3.13.7",
      ports: [{ name: "amqp", port: 5672 }],
      health: { liveness: { tcp: true }, readiness: { tcp: true } },
      volumes: [{ name: "message-store-of-the-broker", path: "/var/lib/rabbitmq", size: "8Gi" }],
      security: { runAsUser: 999, readOnlyRootFilesystem: false },
    };
    c["ops-baseline:backup"].volumes = [{ service: broker, volume: "message-store-of-the-broker" }];
    c["ops-baseline:backup"].restic = { passwordSecret: "resticPassword" };
    c["ops-baseline:secrets"].resticPassword = { secure: "v1:stand-in" };
  });
  const job = `${broker}-message-store-of-the-broker-archive`;
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.equal(
    problems[0],
    `Pulumi.prod.yaml: ops-baseline:services.${broker}: makes the Kubernetes CronJob "${job}" (76 characters), and Kubernetes refuses more than 52 there; shorten "${broker}" by 24 characters (to at most 16)`,
  );
  assert.match(
    problems[1],
    new RegExp(
      `^Pulumi\\.prod\\.yaml: ops-baseline:services\\.${broker}: makes the Kubernetes (label app\\.kubernetes\\.io/name of CronJob ${job}|container) "${job}" \\(76 characters\\), and Kubernetes refuses more than 63 there; shorten "${broker}" by 13 characters`,
    ),
  );
});

test("a host port that another part of the stack publishes is refused, naming both keys", () => {
  const problems = problemsOf("dev", (c) => {
    c["ops-baseline:monitoring"].prometheus = { hostPort: 3000 };
  });
  assert.deepEqual(problems, [
    "Pulumi.dev.yaml: ops-baseline:monitoring.prometheus.hostPort: host port 3000 (prometheus) is already published by services.api.ports.0.hostPort; pick another port",
  ]);
  const between = problemsOf("dev", (c) => {
    c["ops-baseline:monitoring"].alertmanager.hostPort = 9090;
  });
  assert.deepEqual(between, [
    "Pulumi.dev.yaml: ops-baseline:monitoring.prometheus.hostPort: host port 9090 (prometheus) is already published by monitoring.alertmanager.hostPort; pick another port",
  ]);
});

test("a moving tag on any image the stack runs is refused, not only on services' images", () => {
  const untagged = problemsOf(
    "prod",
    (c) => (c["ops-baseline:logging"].files.image = "ghcr.io/ops-baseline/logrotate"),
  );
  assert.deepEqual(untagged, [
    'Pulumi.prod.yaml: ops-baseline:logging.files.image: "ghcr.io/ops-baseline/logrotate" has no tag; pin a version, e.g. "ghcr.io/ops-baseline/logrotate:1.2.3" or "ghcr.io/ops-baseline/logrotate@sha256:<digest>"; every image the stack runs must be pinned',
  ]);
  const latest = problemsOf(
    "prod",
    (c) => (c["ops-baseline:logging"].files.image = "ghcr.io/ops-baseline/logrotate:latest"),
  );
  assert.match(
    latest.join("\n"),
    /logging\.files\.image: "ghcr\.io\/ops-baseline\/logrotate:latest" uses the tag "latest", which moves/,
  );
  // The images a file names elsewhere are refused as before, by their own key.
  const exporter = problemsOf("prod", (c) => {
    c["ops-baseline:monitoring"].exporters = { redis: { image: "docker.io/oliver006/redis_exporter:latest" } };
  });
  assert.match(
    exporter.join("\n"),
    /monitoring\.exporters\.redis\.image: "docker\.io\/oliver006\/redis_exporter:latest" uses the tag "latest"/,
  );
});
