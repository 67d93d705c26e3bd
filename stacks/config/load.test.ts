import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ConfigEdit,
  editedStackInput,
  loaderProblems,
  loadRepoStack,
  readStackFileText,
  stackFileInputFromText,
  STACKS,
} from "../../test/support/stack-files";
import { findCycle, loadStackConfig } from "./load";

/** Loads a copy of a real stack file after `edit` changed its parsed YAML. */
/** Loads a copy of a real stack file after `edit` changed its parsed YAML. */
const loadEdited = (stack: string, edit: ConfigEdit) => loadStackConfig(editedStackInput(stack, edit));
const problemsOf = (stack: string, edit: ConfigEdit) => loaderProblems(editedStackInput(stack, edit));

const api = (c: Record<string, any>) => c["ops-baseline:services"].api;

for (const stack of STACKS) {
  test(`the repository's ${stack} stack file is valid`, () => {
    const config = loadRepoStack(stack);
    assert.equal(config.environment, stack);
    assert.ok(config.services.api);
  });
}

test("environment defaults: dev on Docker with one replica, prod on Kubernetes with two", () => {
  const dev = loadRepoStack("dev");
  const prod = loadRepoStack("prod");
  assert.equal(dev.target.kind, "docker");
  assert.equal(dev.services.api.replicas, 1);
  assert.equal(prod.target.kind, "kubernetes");
  assert.equal(prod.services.api.replicas, 2);
  assert.equal(dev.services.api.health.liveness?.period, 30);
  assert.equal(dev.services.api.health.readiness?.period, 10);
});

test("quantities are parsed into base units", () => {
  const dev = loadRepoStack("dev");
  assert.equal(dev.services.api.resources.limits.memory, 256 * 1024 ** 2);
  assert.equal(dev.services.api.resources.limits.cpu, 500);
  assert.equal(dev.logging.containerLogs.maxSize, 10_000_000);
});

test("a misspelt top-level key is an error with a suggestion", () => {
  const problems = problemsOf("dev", (c) => {
    c["ops-baseline:servcies"] = c["ops-baseline:services"];
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^Pulumi\.dev\.yaml: ops-baseline:servcies: unknown key \(did you mean "services"\?\)/);
});

test("a misspelt nested key is an error naming the path and the valid keys", () => {
  const problems = problemsOf("dev", (c) => {
    api(c).helth = api(c).health;
  });
  assert.equal(problems.length, 1);
  assert.match(
    problems[0],
    /ops-baseline:services\.api\.helth: unknown key \(did you mean "health"\?\); expected one of: .*health/,
  );
});

test("a probe path must start with /", () => {
  const problems = problemsOf("dev", (c) => {
    api(c).health.liveness.http = "health";
  });
  assert.deepEqual(problems, ["Pulumi.dev.yaml: ops-baseline:services.api.health.liveness.http: must start with /"]);
});

for (const [image, reason] of [
  ["ops-baseline/api:latest", /uses the tag "latest"/],
  ["ops-baseline/api", /has no tag; pin a version/],
  ["registry:5000/api", /has no tag/],
  ["api@sha256:1234", /malformed digest/],
] as const) {
  test(`image "${image}" is rejected`, () => {
    const problems = problemsOf("prod", (c) => {
      api(c).image = image;
    });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /services\.api\.image: /);
    assert.match(problems[0], reason);
  });
}

test("images pinned by tag with a registry port, or by digest, are accepted", () => {
  for (const image of ["registry:5000/team/api:1.2.3", `api@sha256:${"a".repeat(64)}`]) {
    const config = loadEdited("prod", (c) => {
      api(c).image = image;
    });
    assert.equal(config.services.api.image, image);
  }
});

test("depends-on must name a service or data store", () => {
  const problems = problemsOf("dev", (c) => {
    api(c).dependsOn = ["postgres", "postgress"];
  });
  assert.equal(problems.length, 1);
  assert.match(
    problems[0],
    /services\.api\.dependsOn: "postgress" is not a service or data store; expected one of: api, postgres, redis/,
  );
});

test("a depends-on cycle is rejected", () => {
  const problems = problemsOf("dev", (c) => {
    const services = c["ops-baseline:services"];
    services.worker = structuredClone(services.api);
    delete services.worker.ports[0].hostPort;
    services.worker.dependsOn = ["api"];
    services.api.dependsOn = ["worker"];
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /forms a cycle: api -> worker -> api/);
});

test("two services on one host port are rejected", () => {
  const problems = problemsOf("dev", (c) => {
    const services = c["ops-baseline:services"];
    services.worker = structuredClone(services.api);
  });
  assert.equal(problems.length, 1);
  assert.match(
    problems[0],
    /services\.worker\.ports\.0\.hostPort: host port 3000 is already published by services\.api\.ports\.0\.hostPort/,
  );
});

test("a secret that prod needs but the stack file lacks is rejected with the command to set it", () => {
  const problems = problemsOf("prod", (c) => {
    delete c["ops-baseline:secrets"].redisPassword;
  });
  assert.ok(problems.length >= 1);
  for (const p of problems) {
    assert.match(
      p,
      /names secret "redisPassword", which is not set; set it with: pulumi config set --secret --path 'secrets\.redisPassword' <value> --stack prod/,
    );
  }
});

test("a secret in plain text in the stack file is rejected", () => {
  const problems = problemsOf("prod", (c) => {
    c["ops-baseline:secrets"].postgresPassword = "hunter2";
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /secrets\.postgresPassword: is in plain text in the stack file/);
  assert.doesNotMatch(problems[0], /hunter2/, "the message must not repeat the secret");
});

test("a credential in plain env is rejected", () => {
  const problems = problemsOf("dev", (c) => {
    api(c).env.API_TOKEN = "abc";
  });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /services\.api\.env\.API_TOKEN: looks like a credential; move it to secretEnv/);
});

for (const [field, value, reason] of [
  ["period", "10 minutes", /is not a duration/],
  ["period", "5x", /is not a duration/],
  ["timeout", "40s", /must be shorter than period/],
] as const) {
  test(`probe ${field} "${value}" is rejected`, () => {
    const problems = problemsOf("dev", (c) => {
      api(c).health.liveness[field] = value;
    });
    assert.equal(problems.length, 1);
    assert.match(problems[0], new RegExp(`services\\.api\\.health\\.liveness\\.${field}: `));
    assert.match(problems[0], reason);
  });
}

test("invalid sizes are rejected, and requests may not exceed limits", () => {
  let problems = problemsOf("dev", (c) => {
    api(c).resources = { limits: { memory: "lots" } };
  });
  assert.ok(
    problems.some((p) => /resources\.limits\.memory: "lots" is not a size/.test(p)),
    problems.join("\n"),
  );
  problems = problemsOf("dev", (c) => {
    api(c).resources = { requests: { memory: "1Gi" } };
  });
  assert.deepEqual(problems, [
    "Pulumi.dev.yaml: ops-baseline:services.api.resources.requests.memory: must not exceed limits.memory",
  ]);
});

test("prod rejects a stateless service with one replica and host ports", () => {
  const problems = problemsOf("prod", (c) => {
    api(c).replicas = 1;
    api(c).ports[0].hostPort = 8080;
  });
  assert.equal(problems.length, 2);
  assert.match(problems.join("\n"), /services\.api\.replicas: is 1, below the prod minimum of 2/);
  assert.match(
    problems.join("\n"),
    /services\.api\.ports\.0\.hostPort: publishes host port 8080, but rules\.allowHostPorts is false/,
  );
});

test("an unknown data store engine and a stack without profile are rejected", () => {
  const problems = problemsOf("dev", (c) => {
    c["ops-baseline:dataStores"].redis.engine = "memcached";
  });
  assert.match(problems.join("\n"), /dataStores\.redis\.engine: engine must be "postgresql", "redis" or "nats"/);
  assert.throws(
    () => loadStackConfig({ file: "Pulumi.staging.yaml", stack: "staging", values: {}, encryptedSecrets: new Set() }),
    /Pulumi\.staging\.yaml: ops-baseline:profile: is not set, and stack "staging" is not named after a profile; set ops-baseline:profile to one of dev, prod/,
  );
});

test("several problems are reported together, one line each", () => {
  const problems = problemsOf("dev", (c) => {
    api(c).image = "api:latest";
    api(c).health.readiness.http = "ready";
    c["ops-baseline:target"] = { kind: "docker", hots: "unix:///x" };
  });
  assert.equal(problems.length, 3, problems.join("\n"));
});

test("findCycle returns a closed path or nothing", () => {
  assert.deepEqual(findCycle({ a: ["b"], b: ["c"], c: ["a"] }), ["a", "b", "c", "a"]);
  assert.equal(findCycle({ a: ["b"], b: [], c: ["a"] }), undefined);
});

test("a scrape timeout longer than the scrape interval is refused, naming the key", () => {
  const text = readStackFileText("dev").replace(
    "  ops-baseline:monitoring:\n",
    "  ops-baseline:monitoring:\n    scrapeTimeout: 20s\n",
  );
  assert.throws(
    () => loadStackConfig(stackFileInputFromText("dev", text)),
    (e: Error) => /monitoring\.scrapeTimeout: 20s is longer than monitoring\.scrapeInterval \(5s\)/.test(e.message),
  );
});
