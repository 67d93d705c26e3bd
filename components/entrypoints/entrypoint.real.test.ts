// The entry point on a real Docker engine: the nginx proxy built from Debian serves HTTPS on its
// port with a certificate made by openssl at test time and proxies to the API container; the
// blackbox exporter (Debian's, with the rendered module) probes it and reports the certificate's
// real expiry; promtool then shows the certificate-expiry alerts fire for that near-expiry
// certificate and stay silent once a longer-lived one is served. The certificate and key reach
// the container only as the secret files the Docker target uploads.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { loadStackConfig } from "../../stacks/config/load";
import { planEnvironment } from "../../stacks/plan";
import { renderTemplate, testableAlerts } from "../alerts/promtool-tests";
import { toYaml } from "../alerts/rules";
import { brokerStackInput, ENTRYPOINT } from "../../test/support/broker-stack";
import { docker, DockerSandbox, poll, sampleOf } from "../../test/support/docker-sandbox";
import { makeTestCertificate, type TestCertificate } from "../../test/support/tls";
import { pinnedTool, runOk } from "../../test/support/tools";
import type { Workload } from "../workloads/model";
import { TLS_DIR } from "./concern";

const HOST = "rave.example.test";
const config = loadStackConfig(brokerStackInput("dev"));
const plan = planEnvironment(config);
const workload = (name: string) => plan.workloads.find((w) => w.name === name)!;
const sandbox = new DockerSandbox("entry");
let near: TestCertificate;
let far: TestCertificate;
let proxy: string;
let blackbox: string;
/** The probe target as prometheus.yml names it. */
let target: string;

function secretsWith(cert: TestCertificate): Record<string, string> {
  return { ...config.secrets, raveTlsCertificate: cert.certificate, raveTlsKey: cert.key };
}

function httpsGet(ip: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: ip, port: 3002, path: "/health", servername: HOST, ca, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

async function probe(): Promise<string> {
  const url = `http://${sandbox.ip(blackbox)}:9115/probe?module=https_rave_proxy&target=${encodeURIComponent(target)}`;
  return (await fetch(url)).text();
}

before(async () => {
  sandbox.start();
  for (const name of ["api", ENTRYPOINT, "blackbox-exporter"]) sandbox.build(workload(name).image);
  near = makeTestCertificate(HOST, 2);
  far = makeTestCertificate(HOST, 60);
  const prom = parseYaml(plan.monitoring!.prometheusConfig) as {
    scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
  };
  target = prom.scrape_configs
    .find((c) => c.job_name === "blackbox")!
    .static_configs!.flatMap((s) => s.targets)
    .find((t) => t.startsWith("https://"))!;
  sandbox.run(workload("api"), config.secrets);
  proxy = sandbox.run(workload(ENTRYPOINT), secretsWith(near));
  await sandbox.waitHealthy(proxy, 60);
  // The test's CAs stand for a public CA: added to the exporter's trust store, the rendered module
  // itself is unchanged and still verifies the certificate for the host name.
  const exporter: Workload = { ...workload("blackbox-exporter"), env: { SSL_CERT_FILE: "/etc/ops-test/ca.pem" } };
  blackbox = sandbox.run(exporter, config.secrets, [{ path: "/etc/ops-test/ca.pem", content: near.ca + far.ca }]);
  await sandbox.waitHealthy(blackbox, 60);
});
after(() => sandbox.teardown());

test("nginx serves HTTPS on 3002 with the secret certificate and proxies to the API", async () => {
  const ip = sandbox.ip(proxy);
  const res = await poll("the API through the proxy", 60, async () => {
    const r = await httpsGet(ip, near.ca);
    return r.status === 200 ? r : undefined;
  });
  assert.match(res.body, /"status":\s*"ok"/);
  // Another CA's certificate is refused: the TLS really is the certificate the stack was given.
  await assert.rejects(httpsGet(ip, far.ca), /self[- ]signed|unable to verify|unable to get local issuer/);
  // The key is in the container only as the uploaded secret file, never in its environment.
  const env = docker(["inspect", "-f", "{{json .Config.Env}}", proxy]);
  assert.ok(!env.includes("PRIVATE KEY"));
  assert.match(docker(["exec", proxy, "head", "-1", `${TLS_DIR}/tls.key`]), /BEGIN PRIVATE KEY/);
});

/** The certificate-expiry alerts' promtool test for the days left that the probe measured. */
function expiryAlertsFor(secondsLeft: number, fire: boolean): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-tls-alerts-"));
  try {
    for (const f of plan.monitoring!.ruleFiles) fs.writeFileSync(path.join(dir, f.name), f.content);
    const labels = { job: "blackbox", instance: target, service: ENTRYPOINT };
    const alerts = testableAlerts(config.alerts, plan.monitoring!.context).filter((a) =>
      ["TlsCertificateExpiryCritical", "TlsCertificateExpiringSoon"].includes(a.name),
    );
    assert.equal(alerts.length, 2);
    // promtool's clock starts at 0: a series whose value is the seconds left at the probe puts the
    // certificate's expiry exactly that far after the test's "now".
    const suite = {
      rule_files: plan.monitoring!.ruleFiles.map((f) => path.join(dir, f.name)),
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            {
              series: `probe_ssl_earliest_cert_expiry{job="blackbox",instance="${target}",service="${ENTRYPOINT}"}`,
              values: `${Math.round(secondsLeft)}+0x30`,
            },
          ],
          alert_rule_test: alerts.map((a) => ({
            eval_time: "11m",
            alertname: a.name,
            exp_alerts: fire
              ? [
                  {
                    exp_labels: { ...labels, ...a.ruleLabels },
                    exp_annotations: Object.fromEntries(
                      Object.entries(a.annotations).map(([k, v]) => [
                        k,
                        renderTemplate(v, { ...labels, ...a.ruleLabels }),
                      ]),
                    ),
                  },
                ]
              : [],
          })),
        },
      ],
    };
    fs.writeFileSync(path.join(dir, "tests.yml"), toYaml(suite));
    return runOk(pinnedTool("promtool"), ["test", "rules", path.join(dir, "tests.yml")]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the blackbox probe reports the served certificate's expiry, and the expiry alerts fire for it", async () => {
  const text = await poll("a successful probe", 60, async () => {
    const t = await probe();
    return sampleOf(t, "probe_success") === 1 ? t : undefined;
  });
  const probedAt = Date.now() / 1000;
  const expiry = sampleOf(text, "probe_ssl_earliest_cert_expiry");
  assert.equal(expiry, near.notAfter, "the probe reads the certificate the proxy serves");
  assert.equal(sampleOf(text, "probe_http_status_code"), 200);
  assert.equal(sampleOf(text, "probe_http_ssl"), 1);
  const daysLeft = (expiry! - probedAt) / 86400;
  assert.ok(daysLeft > 1.9 && daysLeft < 2.01, `${daysLeft} days left`);
  assert.match(expiryAlertsFor(expiry! - probedAt, true), /SUCCESS/);
  // A test that expected silence for this certificate would fail: the alerts do fire.
  assert.throws(() => expiryAlertsFor(expiry! - probedAt, false), /FAILED|exp:/);
});

test("a renewed certificate is read on reload and silences the expiry alerts", async () => {
  sandbox.upload(proxy, [
    { path: `${TLS_DIR}/tls.crt`, content: far.certificate, mode: 0o444 },
    { path: `${TLS_DIR}/tls.key`, content: far.key, mode: 0o444 },
  ]);
  docker(["kill", "-s", "HUP", proxy]);
  const text = await poll("the renewed certificate in the probe", 30, async () => {
    const t = await probe();
    return sampleOf(t, "probe_ssl_earliest_cert_expiry") === far.notAfter ? t : undefined;
  });
  assert.equal(sampleOf(text, "probe_success"), 1);
  assert.match(expiryAlertsFor(far.notAfter - Date.now() / 1000, false), /SUCCESS/);
});

test("with the API stopped the probe through the proxy fails (502/504), so ProbeFailing can fire", async () => {
  docker(["stop", "-t", "2", sandbox.name("api")]);
  const text = await poll("a failing probe", 30, async () => {
    const t = await probe();
    return sampleOf(t, "probe_success") === 0 ? t : undefined;
  });
  // 504 while nginx still holds the stopped container's address, 502 once the name is gone.
  assert.ok([502, 504].includes(sampleOf(text, "probe_http_status_code")!), text);
});
