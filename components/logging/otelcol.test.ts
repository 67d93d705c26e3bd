// Where the collector sends and what it reads, per target, from the plans of the repository's own
// stack files: on Kubernetes it runs in the agents' namespace, so the store's address must name
// the stack's namespace (a short name does not resolve there; the one-node cluster test showed
// records never arriving with one).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { planEnvironment } from "../../stacks/plan";
import { loadRepoStack } from "../../test/support/stack-files";
import { COLLECTOR_NAME, VICTORIALOGS_HOST } from "./names";
import { COLLECTOR_CONFIG } from "./otelcol";

function collectorConfig(stack: string) {
  const config = loadRepoStack(stack);
  const w = planEnvironment(config).workloads.find((x) => x.name === COLLECTOR_NAME);
  assert.ok(w, `${stack} places the collector`);
  const file = w.files.find((f) => f.path === COLLECTOR_CONFIG);
  assert.ok(file, `${stack}: the collector's configuration file`);
  const parsed = parseYaml(file.content);
  return {
    config,
    endpoint: new URL(parsed.exporters.otlp_http.logs_endpoint),
    include: parsed.receivers.file_log.include,
    receiver: parsed.receivers.file_log,
  };
}

test("Kubernetes: the collector sends to the store by its namespace-qualified name and reads only the stack's pods", () => {
  const { config, endpoint, include, receiver } = collectorConfig("prod");
  assert.equal(config.target.kind, "kubernetes");
  const namespace = config.target.kind === "kubernetes" ? config.target.namespace : "";
  assert.equal(endpoint.hostname, `${VICTORIALOGS_HOST}.${namespace}.svc`);
  assert.deepEqual(include, [`/var/log/pods/${namespace}_*/*/*.log`]);
  // The container parser's namespace, pod and container (and so the service) come from the path.
  assert.equal(receiver.include_file_path, true);
  assert.ok(
    receiver.operators.some(
      (o: { type: string; add_metadata_from_filepath?: boolean }) =>
        o.type === "container" && o.add_metadata_from_filepath,
    ),
  );
});

test("Docker: the collector sends to the store by its container name on the stack's network", () => {
  const { endpoint } = collectorConfig("dev");
  assert.equal(endpoint.hostname, VICTORIALOGS_HOST);
});
