import assert from "node:assert/strict";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { ConfigError, loadStackConfig } from "../../stacks/config/load";
import type { RawConfig } from "../../stacks/config/defaults";
import { planEnvironment } from "../../stacks/plan";
import { brokerStackInput, ENTRYPOINT } from "../../test/support/broker-stack";

const entry = (values: RawConfig) => (values.entrypoints as Record<string, RawConfig>)[ENTRYPOINT];

function problemsOf(stack: "dev" | "prod", edit: (values: RawConfig) => void): string[] {
  try {
    loadStackConfig(brokerStackInput(stack, edit));
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message.split("\n").slice(1);
  }
  assert.fail("the stack file was accepted");
}

test("dev: the entry point is an nginx proxy on its port, routing to the service, TLS from secret files only", () => {
  const plan = planEnvironment(loadStackConfig(brokerStackInput("dev")));
  const proxy = plan.workloads.find((w) => w.name === ENTRYPOINT)!;
  assert.equal(proxy.role, "entrypoint");
  assert.equal(proxy.image.build?.dockerfile, "images/nginx/Dockerfile");
  assert.deepEqual(
    proxy.ports.map((p) => [p.name, p.containerPort, p.hostPort]),
    [
      ["https", 3002, 3002],
      ["health", 8081, undefined],
    ],
  );
  const conf = proxy.files.find((f) => f.path === "/etc/nginx-ops/nginx.conf")!.content;
  assert.match(conf, /listen 3002 ssl http2;/);
  assert.match(conf, /server_name rave\.example\.test;/);
  assert.match(conf, /location \/ \{\n\s+set \$upstream_0 http:\/\/api:3000;/);
  assert.deepEqual(
    proxy.secretFiles.map((f) => [f.path, f.template]),
    [
      ["/etc/nginx-ops/tls/tls.crt", "${secret:raveTlsCertificate}"],
      ["/etc/nginx-ops/tls/tls.key", "${secret:raveTlsKey}"],
    ],
  );
  assert.ok(!JSON.stringify(plan.workloads).includes("test-secret:"), "no secret value in any workload");
  assert.deepEqual(proxy.dependsOn, ["api"]);
  assert.equal(proxy.securityContext.readOnlyRootFilesystem, true);
});

test("dev: the blackbox exporter probes the proxy's HTTPS endpoint with a module that checks the certificate", () => {
  const plan = planEnvironment(loadStackConfig(brokerStackInput("dev")));
  const prom = parseYaml(plan.monitoring!.prometheusConfig) as {
    scrape_configs: Array<{
      job_name: string;
      static_configs?: Array<{ targets: string[]; labels: Record<string, string> }>;
    }>;
  };
  const blackbox = prom.scrape_configs.find((c) => c.job_name === "blackbox")!;
  const target = blackbox.static_configs!.find((s) => s.targets[0].startsWith("https://"))!;
  assert.deepEqual(target, {
    targets: ["https://rave-proxy:3002/health"],
    labels: { __param_module: "https_rave_proxy", service: ENTRYPOINT },
  });
  const exporter = plan.workloads.find((w) => w.name === "blackbox-exporter")!;
  const modules = parseYaml(exporter.files[0].content) as { modules: Record<string, { http: RawConfig }> };
  assert.deepEqual(modules.modules.https_rave_proxy.http.tls_config, { server_name: "rave.example.test" });
  assert.equal(modules.modules.https_rave_proxy.http.fail_if_not_ssl, true);
  assert.ok(exporter.connectsTo.includes(ENTRYPOINT));
});

test("prod: an Ingress with its TLS Secret, the controller let in by a NetworkPolicy, the probe through the host name", () => {
  const plan = planEnvironment(loadStackConfig(brokerStackInput("prod")));
  assert.ok(!plan.workloads.some((w) => w.name === ENTRYPOINT), "no proxy workload on Kubernetes");
  const ingress = plan.ingress.objects.find((o) => o.kind === "Ingress")!;
  assert.equal(ingress.spec.ingressClassName, "nginx");
  assert.deepEqual(ingress.spec.tls, [{ hosts: ["rave.example.test"], secretName: "rave-proxy-tls" }]);
  assert.deepEqual(ingress.spec.rules[0].http.paths[0], {
    path: "/",
    pathType: "Prefix",
    backend: { service: { name: "api", port: { number: 3000 } } },
  });
  const policy = plan.ingress.objects.find((o) => o.kind === "NetworkPolicy")!;
  assert.deepEqual(policy.spec.ingress[0].from, [
    { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } },
  ]);
  assert.deepEqual(policy.spec.ingress[0].ports, [{ port: 3000, protocol: "TCP" }]);
  assert.deepEqual(plan.ingress.tlsSecrets, [
    {
      name: "rave-proxy-tls",
      certificateSecret: "raveTlsCertificate",
      keySecret: "raveTlsKey",
      labels: ingress.metadata.labels,
    },
  ]);
  assert.ok(!JSON.stringify(plan.ingress.objects).includes("test-secret:"), "no secret value in the objects");
  assert.match(plan.monitoring!.prometheusConfig, /- https:\/\/rave\.example\.test:443\/health/);
  const exporter = plan.workloads.find((w) => w.name === "blackbox-exporter")!;
  assert.deepEqual(exporter.egress, [
    { name: "entrypoint-rave-proxy", cidrs: ["0.0.0.0/0"], except: [], ports: [443] },
  ]);
});

test("prod: a cert-manager issuer instead of secrets annotates the Ingress and makes no TLS Secret", () => {
  const plan = planEnvironment(
    loadStackConfig(
      brokerStackInput("prod", (v) => {
        entry(v).tls = { issuer: { kind: "ClusterIssuer", name: "letsencrypt" } };
      }),
    ),
  );
  const ingress = plan.ingress.objects.find((o) => o.kind === "Ingress")!;
  assert.deepEqual(ingress.metadata.annotations, { "cert-manager.io/cluster-issuer": "letsencrypt" });
  assert.deepEqual(plan.ingress.tlsSecrets, []);
});

test("bad entry points: one message per problem, naming the file and the key", () => {
  const problems = problemsOf("dev", (v) => {
    entry(v).listen = 443;
  });
  assert.deepEqual(problems, [
    "  Pulumi.dev.yaml: ops-baseline:entrypoints.rave-proxy.listen: unknown key; expected one of: build, hosts, image, kubernetes, port, probePath, resources, routes, tls",
  ]);
  const crossKey = problemsOf("dev", (v) => {
    const e = entry(v);
    e.routes = [
      { path: "/", service: "apii", port: "http" },
      { path: "/admin/", service: "api", port: "admin" },
    ];
    (e.tls as RawConfig).keySecret = "missingKey";
  });
  assert.deepEqual(crossKey, [
    '  Pulumi.dev.yaml: ops-baseline:entrypoints.rave-proxy.routes.0.service: "apii" is not a service; expected one of: api',
    '  Pulumi.dev.yaml: ops-baseline:entrypoints.rave-proxy.routes.1.port: "admin" is not a port of api; expected one of: http',
    "  Pulumi.dev.yaml: ops-baseline:entrypoints.rave-proxy.tls.keySecret: names secret \"missingKey\", which is not set; set it with: pulumi config set --secret --path 'secrets.missingKey' <value> --stack dev",
  ]);
  assert.deepEqual(
    problemsOf("dev", (v) => {
      entry(v).tls = { certificateSecret: "raveTlsCertificate" };
    }),
    [
      "  Pulumi.dev.yaml: ops-baseline:entrypoints.rave-proxy.tls: set both certificateSecret and keySecret (the certificate and its key)",
    ],
  );
  assert.deepEqual(
    problemsOf("dev", (v) => {
      entry(v).tls = { issuer: { kind: "ClusterIssuer", name: "letsencrypt" } };
    }),
    [
      "  Pulumi.dev.yaml: ops-baseline:entrypoints.rave-proxy.tls.issuer: an issuer (cert-manager) exists only on Kubernetes; on Docker set certificateSecret and keySecret",
    ],
  );
  assert.deepEqual(
    problemsOf("dev", (v) => {
      entry(v).port = 3000;
    }),
    [
      "  Pulumi.dev.yaml: ops-baseline:entrypoints.rave-proxy.port: host port 3000 is already published by services.api.ports.0.hostPort; pick another port",
    ],
  );
});
