// One example system's Docker stack on the real engine: RTAP (examples/rtap/Pulumi.dev.yaml),
// made by test/support/docker-stack.ts the way the Docker target makes it. The stand-in image is
// built from images/standin on the local Debian base. Then: every container healthy, Prometheus
// scrapes both RTAP instances and holds the runbook's metric names, the ZMQ and WebSocket ports
// answer, and a killed main instance pages (ServiceDown, 30 s `for`) through Alertmanager to the
// sink on the standby. Torn down afterwards.
import assert from "node:assert/strict";
import * as net from "node:net";
import { after, before, test } from "node:test";
import { containerName } from "../../components/targets/docker/containers";
import { planEnvironment } from "../../stacks/plan";
import { dockerStack } from "../support/docker-stack";
import { exampleStacks, loadExample } from "../support/examples";

const example = exampleStacks().find((e) => e.id === "rtap/dev")!;
const config = loadExample(example);
const plan = planEnvironment(config);
const { ctx, docker, waitHealthy, ipOf, poll, promQuery, up, down } = dockerStack(`ex${process.pid}`, config, plan);

before(up);

after(down);

test("rtap/dev: every workload becomes healthy with the runbook's memory limit", async () => {
  for (const w of plan.workloads) await waitHealthy(containerName(ctx, w.name), 180);
  const memory = Number(docker(["inspect", "-f", "{{.HostConfig.Memory}}", containerName(ctx, "rtap-main")]));
  assert.equal(memory, 4 * 1024 ** 3, '"Memory Issues": resources.limits.memory 4G');
  const health = await fetch(`http://${ipOf(containerName(ctx, "rtap-standby"))}:8080/health`);
  assert.equal(health.status, 200);
});

test("rtap/dev: the ZMQ ports accept connections and the WebSocket port upgrades", async () => {
  const ip = ipOf(containerName(ctx, "rtap-main"));
  for (const port of [6552, 6553]) {
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port, ip, () => {
        s.destroy();
        resolve();
      });
      s.once("error", reject);
    });
  }
  const reply = await new Promise<string>((resolve, reject) => {
    const s = net.connect(5802, ip, () =>
      s.write(
        "GET /stream HTTP/1.1\r\nHost: rtap\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: SGVsbG8sIHdvcmxkIQ==\r\n\r\n",
      ),
    );
    s.once("data", (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once("error", reject);
  });
  assert.match(reply, /^HTTP\/1.1 101 Switching Protocols/);
});

test("rtap/dev: Prometheus scrapes both instances and holds RTAP's own metric names", async () => {
  const up = await poll("rtap-main and rtap-standby up", 120, async () => {
    const seen = new Set((await promQuery("up == 1")).map((r) => r.metric.job));
    return seen.has("rtap-main") && seen.has("rtap-standby") ? seen : undefined;
  });
  assert.ok(up.has("prometheus"));
  for (const metric of [
    "rtap_pipeline_latency_seconds_bucket",
    "rtap_frames_processed_total",
    "rtap_errors_total",
    "rtap_buffer_utilization_ratio",
    "rtap_memory_usage_bytes",
    "process_resident_memory_bytes",
  ]) {
    const r = await poll(`${metric} of rtap-main`, 60, async () => {
      const found = await promQuery(`${metric}{job="rtap-main"}`);
      return found.length > 0 ? found : undefined;
    });
    assert.ok(r.length > 0, metric);
  }
  const buffer = await promQuery('rtap_buffer_utilization_ratio{job="rtap-main"}');
  assert.equal(buffer[0].value[1], "0.25");
});

test("rtap/dev: a killed main instance pages (ServiceDown) at the sink on the standby", async () => {
  const standby = `http://${ipOf(containerName(ctx, "rtap-standby"))}:8080`;
  const received = async () => {
    const text = await (await fetch(`${standby}/metrics`)).text();
    return Number(/^standin_webhook_requests_total\{path="\/alerts"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };
  const am = `http://${ipOf(containerName(ctx, "alertmanager"))}:9093`;
  const before = await received();
  const target = containerName(ctx, "rtap-main");
  docker(["update", "--restart=no", target]);
  const killedAt = Date.now();
  docker(["kill", "--signal", "KILL", target]);
  const alert = await poll("ServiceDown for rtap-main in Alertmanager", 240, async () => {
    const alerts = (await (await fetch(`${am}/api/v2/alerts?filter=alertname%3D%22ServiceDown%22`)).json()) as Array<{
      labels: Record<string, string>;
    }>;
    return alerts.find((a) => a.labels.job === "rtap-main");
  });
  assert.equal(alert.labels.severity, "critical");
  // The page may wait a group interval (1 m in dev) when the alert joins a group Alertmanager still
  // holds (a ServiceDown of the same job while the stack was starting): the budget is the test's
  // bound from the kill, not a fixed wait after the alert arrived.
  const left = Math.max(1, 120 - (Date.now() - killedAt) / 1000);
  await poll("a notification at the standby's sink", left, async () =>
    (await received()) > before ? true : undefined,
  );
  const seconds = (Date.now() - killedAt) / 1000;
  console.log(`rtap/dev: kill of rtap-main to notification at the sink: ${seconds.toFixed(1)} s`);
  assert.ok(seconds < 120, `${seconds} s from the kill to the page`);
});
