// Stateful services of any kind: a service with a persistent volume is stateful in the loader
// (one replica by default and allowed, its volume's group required on Kubernetes), in the plan
// and the Kubernetes target (a StatefulSet with an fsGroup); a data-store engine that is not built
// in is pointed at services.
import assert from "node:assert/strict";
import { test } from "node:test";
import { workloadController } from "../../components/targets/kubernetes/workloads";
import { planEnvironment } from "../plan";
import { type ConfigEdit, editedStackInput, loaderProblems } from "../../test/support/stack-files";
import { loadStackConfig } from "./load";

/** RabbitMQ run as a plain service with a data volume, as a team would write it from the README. */
const rabbitmq = (extra: Record<string, unknown> = {}) => ({
  image: "docker.io/library/rabbitmq:3.13.7-management",
  ports: [
    { name: "amqp", port: 5672 },
    { name: "management", port: 15672 },
  ],
  health: { liveness: { tcp: true, port: "amqp" }, readiness: { tcp: true, port: "amqp" } },
  volumes: [{ name: "data", path: "/var/lib/rabbitmq", size: "8Gi" }],
  security: { readOnlyRootFilesystem: false },
  ...extra,
});

const load = (stack: string, edit: ConfigEdit) => loadStackConfig(editedStackInput(stack, edit));
const problemsOf = (stack: string, edit: ConfigEdit) => loaderProblems(editedStackInput(stack, edit));

const services = (c: Record<string, any>) => c["ops-baseline:services"];

test("prod: a service with a persistent volume defaults to one replica and may say replicas: 1", () => {
  const config = load(
    "prod",
    (c) => (services(c).rabbitmq = rabbitmq({ security: { runAsUser: 999, readOnlyRootFilesystem: false } })),
  );
  assert.equal(config.services.rabbitmq.replicas, 1);
  assert.equal(config.services.api.replicas, 2, "a stateless service keeps the profile's two");
  const explicit = load(
    "prod",
    (c) =>
      (services(c).rabbitmq = rabbitmq({ replicas: 1, security: { runAsUser: 999, readOnlyRootFilesystem: false } })),
  );
  assert.equal(explicit.services.rabbitmq.replicas, 1);
});

test("prod: the minimum-replica rule stays for stateless services", () => {
  const problems = problemsOf("prod", (c) => (services(c).api.replicas = 1));
  assert.deepEqual(problems, [
    "Pulumi.prod.yaml: ops-baseline:services.api.replicas: is 1, below the prod minimum of 2 for a stateless service (a service with a persistent volume is stateful and may run one)",
  ]);
  // A volume that is not persistent (an emptyDir) does not make a service stateful.
  const scratch = problemsOf("prod", (c) => {
    services(c).worker = rabbitmq({
      replicas: 1,
      volumes: [{ name: "tmp", path: "/tmp", size: "64Mi", persistent: false }],
    });
  });
  assert.match(
    scratch.join("\n"),
    /services\.worker\.replicas: is 1, below the prod minimum of 2 for a stateless service/,
  );
});

test("Kubernetes: a stateful service names its volume group, or the loader says which to set", () => {
  const problems = problemsOf("prod", (c) => (services(c).rabbitmq = rabbitmq()));
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    /^Pulumi\.prod\.yaml: ops-baseline:services\.rabbitmq\.security\.fsGroup: is not set, and the service has a persistent volume \(data\), which Kubernetes mounts owned by root: set security\.fsGroup/,
  );
  // Docker needs none (a named volume takes the image's ownership).
  const dev = load("dev", (c) => (services(c).rabbitmq = rabbitmq({ dependsOn: [] })));
  assert.equal(dev.services.rabbitmq.security.fsGroup, undefined);
});

test("Kubernetes: the volume group is the declared fsGroup, else the user's group, and the StatefulSet carries it", () => {
  const ctx = { namespace: "ops-baseline", commonLabels: {} };
  const sts = (security: Record<string, unknown>) => {
    const plan = planEnvironment(
      load(
        "prod",
        (c) => (services(c).rabbitmq = rabbitmq({ security: { readOnlyRootFilesystem: false, ...security } })),
      ),
    );
    const w = plan.workloads.find((x) => x.name === "rabbitmq")!;
    assert.equal(w.stateful, true);
    const controller = workloadController(w, ctx) as any;
    assert.equal(controller.kind, "StatefulSet");
    return controller;
  };
  assert.equal(sts({ fsGroup: 1001 }).spec.template.spec.securityContext.fsGroup, 1001);
  assert.equal(sts({ runAsUser: 999, runAsGroup: 998 }).spec.template.spec.securityContext.fsGroup, 998);
  assert.equal(sts({ runAsUser: 999 }).spec.template.spec.securityContext.fsGroup, 999);
  assert.equal(sts({ runAsUser: 999 }).spec.replicas, 1);
});

test("a data store engine that is not built in points at services and the README section", () => {
  const problems = problemsOf("prod", (c) => {
    c["ops-baseline:dataStores"].broker = {
      engine: "rabbitmq",
      image: "docker.io/library/rabbitmq:3.13.7",
      storage: "8Gi",
    };
  });
  assert.deepEqual(problems, [
    'Pulumi.prod.yaml: ops-baseline:dataStores.broker.engine: engine must be "postgresql", "redis" or "nats"; a broker or database that is not built in (e.g. "rabbitmq") goes under services.<name> with its image, ports and a persistent volume, which makes it a stateful service (README.md#stateful-services)',
  ]);
});
