// Reachability computed from the prod NetworkPolicies by a real NetworkPolicy engine: cyclonus
// (built by toolchain/kube/install.sh) in analyze mode, which needs no cluster. The flows that
// must be open come from what the stack does, not from the policies: Prometheus' rendered scrape
// configuration, Alertmanager's receivers, each workload's dependencies and declared externals.
// Every other pair of pods on every port, and every other outside address, must be closed.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import YAML from "yaml";
import { networkPolicies } from "../../components/targets/kubernetes/network";
import { selectorLabels } from "../../components/targets/kubernetes/objects";
import { nodeAgentNamespace } from "../../components/workloads/model";
import { planEnvironment } from "../../stacks/plan";
import type { StackConfig } from "../../stacks/config/schema";
import { kubeTool } from "../support/kube-apiserver";
import { loadRepoStack } from "../support/stack-files";
import { runOk } from "../support/tools";

const NS = "ops-baseline";
const RECEIVER_IP = "198.51.100.7"; // a public address (TEST-NET-2), where a paging service could be
const PRIVATE_IP = "10.20.30.40"; // inside RFC 1918: the cluster's own networks
const LLM_IP = "203.0.113.9";

interface Peer {
  name: string;
  ip: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface Flow {
  from: Peer;
  to: Peer;
  port: number;
  protocol: "TCP" | "UDP";
}

const key = (f: Flow) => `${f.from.name} -> ${f.to.name}:${f.port}/${f.protocol}`;

function trafficPeer(p: Peer) {
  return p.namespace
    ? {
        Internal: {
          PodLabels: p.labels,
          NamespaceLabels: { "kubernetes.io/metadata.name": p.namespace },
          Namespace: p.namespace,
        },
        IP: p.ip,
      }
    : { IP: p.ip };
}

/** Asks cyclonus whether each flow is allowed by the policies; answers in the same order. */
function allowed(policies: object[], flows: Flow[]): boolean[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-cyclonus-"));
  try {
    fs.mkdirSync(path.join(dir, "policies"));
    policies.forEach((p, i) => fs.writeFileSync(path.join(dir, "policies", `${i}.json`), JSON.stringify(p)));
    const traffic = flows.map((f) => ({
      Source: trafficPeer(f.from),
      Destination: trafficPeer(f.to),
      Protocol: f.protocol,
      ResolvedPort: f.port,
      ResolvedPortName: "",
    }));
    fs.writeFileSync(path.join(dir, "traffic.json"), JSON.stringify(traffic));
    const out = runOk(kubeTool("cyclonus"), [
      "analyze",
      "--mode=query-traffic",
      `--policy-path=${path.join(dir, "policies")}`,
      `--traffic-path=${path.join(dir, "traffic.json")}`,
    ]);
    const answers = [...out.matchAll(/IS ALLOWED\? \|\s+(TRUE|FALSE)/g)].map((m) => m[1] === "TRUE");
    assert.equal(answers.length, flows.length, "cyclonus answered every flow");
    return answers;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function prodWithExternal(): StackConfig {
  const config = loadRepoStack("prod");
  // A declared outside dependency of the API (e.g. a hosted model API).
  config.services.api.externals = { "llm-api": { cidrs: ["203.0.113.0/24"], except: [], ports: [443] } };
  // The cluster's addresses as a team would declare them (the defaults are the private ranges).
  assert.equal(config.target.kind, "kubernetes");
  if (config.target.kind === "kubernetes") {
    config.target.clusterMonitoring.apiServerCidrs = ["10.96.0.1/32"];
    config.target.clusterMonitoring.nodeCidrs = ["10.250.0.0/16"];
  }
  return config;
}

test("prod NetworkPolicies: what the stack needs is open, nothing else (cyclonus)", () => {
  const config = prodWithExternal();
  const plan = planEnvironment(config);
  const policies = networkPolicies(plan.workloads, plan.jobs, {
    namespace: NS,
    commonLabels: { "app.kubernetes.io/part-of": "ops-baseline" },
  });
  const owners = [...plan.workloads, ...plan.jobs].map((w) => w.name).sort();
  // Node agents (the log collector) run in the node-agent namespace.
  const agents = new Set(plan.workloads.filter((w) => w.placement === "every-node").map((w) => w.name));
  assert.ok(agents.has("otelcol"), "the collector is a node agent, so its policies are covered here");
  const pods = new Map<string, Peer>(
    owners.map((name, i) => [
      name,
      {
        name,
        ip: `10.1.0.${i + 10}`,
        namespace: agents.has(name) ? nodeAgentNamespace(NS) : NS,
        labels: { ...selectorLabels(name), "ops-baseline/environment": "prod" },
      },
    ]),
  );
  const pod = (name: string) => {
    const p = pods.get(name);
    assert.ok(p, `a pod for ${name}`);
    return p;
  };
  const ports = new Map(plan.workloads.map((w) => [w.name, w.ports.map((p) => p.containerPort)]));
  const tcp = (from: Peer, to: Peer, port: number): Flow => ({ from, to, port, protocol: "TCP" });

  // ---- what must be open, from what the stack does
  const stranger: Peer = {
    name: "pod in another namespace",
    ip: "10.2.0.5",
    namespace: "other",
    labels: { "app.kubernetes.io/name": "prometheus" },
  };
  const needed: Flow[] = [];
  const prom = YAML.parse(plan.monitoring!.prometheusConfig);
  const nodeIp: Peer = { name: "a node", ip: "10.250.0.5" };
  const apiServer: Peer = { name: "kube-apiserver", ip: "10.96.0.1" };
  for (const job of prom.scrape_configs) {
    if (job.kubernetes_sd_configs) {
      // Nodes found through the API: node-exporter and the kubelet on the node's address.
      needed.push(tcp(pod("prometheus"), apiServer, 443));
      needed.push(tcp(pod("prometheus"), nodeIp, job.job_name === "node" ? 9100 : 10250));
      continue;
    }
    for (const sd of job.dns_sd_configs ?? []) {
      for (const host of sd.names) {
        needed.push(tcp(pod("prometheus"), pod(host.replace(/\..*$/, "").replace(/-pods$/, "")), sd.port));
      }
    }
    for (const relabel of job.relabel_configs ?? []) {
      if (relabel.target_label === "__address__") {
        const [host, port] = relabel.replacement.split(":");
        needed.push(tcp(pod("prometheus"), pod(host), Number(port)));
        for (const sc of job.static_configs) {
          for (const target of sc.targets) {
            const url = new URL(target);
            needed.push(tcp(pod(host), pod(url.hostname), Number(url.port)));
          }
        }
      }
    }
  }
  for (const am of prom.alerting.alertmanagers) {
    for (const t of am.static_configs[0].targets) {
      const [host, port] = t.split(":");
      needed.push(tcp(pod("prometheus"), pod(host), Number(port)));
    }
  }
  const receiver: Peer = { name: "paging receiver", ip: RECEIVER_IP };
  needed.push(tcp(pod("alertmanager"), receiver, 443));
  for (const w of [...plan.workloads, ...plan.jobs]) {
    for (const dep of [...(w.kind === "workload" ? w.dependsOn : []), ...w.connectsTo]) {
      for (const port of ports.get(dep) ?? []) needed.push(tcp(pod(w.name), pod(dep), port));
    }
  }
  needed.push(tcp(pod("kube-state-metrics"), apiServer, 443));
  const llm: Peer = { name: "llm-api", ip: LLM_IP };
  needed.push(tcp(pod("api"), llm, 443));
  // A port marked external is open to any source, outside the cluster or in another namespace.
  const internet: Peer = { name: "internet", ip: "192.0.2.50" };
  needed.push(tcp(internet, pod("api"), 3000));
  const dnsPod: Peer = {
    name: "coredns",
    ip: "10.96.0.10",
    namespace: "kube-system",
    labels: { "k8s-app": "coredns" },
  };
  for (const name of owners) {
    needed.push(tcp(pod(name), dnsPod, 53), { from: pod(name), to: dnsPod, port: 53, protocol: "UDP" });
  }
  needed.push(tcp(stranger, pod("api"), 3000));
  // Receivers may be anywhere public on 443 (their URLs are secrets): the LLM API's address too.
  needed.push(tcp(pod("alertmanager"), llm, 443));
  // The pgBackRest repository in S3 may be any public address on its port: the PostgreSQL pod
  // (archive_command, backup sidecar) and the restore drill reach both public peers, and still no
  // private address (checked below with every other pod).
  for (const w of [...plan.workloads, ...plan.jobs]) {
    if (!(w.egress ?? []).some((e) => e.name === "pgbackrest-repository")) continue;
    needed.push(tcp(pod(w.name), receiver, 443), tcp(pod(w.name), llm, 443));
  }
  const neededKeys = new Set(needed.map(key));

  // ---- everything else: every pod to every other pod's ports, outside addresses, other namespaces
  const closed: Flow[] = [];
  for (const [target, targetPorts] of ports) {
    for (const port of targetPorts) {
      for (const source of [...pods.values(), stranger, internet]) {
        const flow = tcp(source, pod(target), port);
        if (source.name !== target && !neededKeys.has(key(flow))) closed.push(flow);
      }
    }
  }
  const publicOn443 = new Set([
    "alertmanager",
    ...[...plan.workloads, ...plan.jobs]
      .filter((w) => (w.egress ?? []).some((e) => e.name === "pgbackrest-repository"))
      .map((w) => w.name),
  ]);
  for (const name of owners) {
    for (const [to, port] of [
      [receiver, 80],
      [{ name: "private address", ip: PRIVATE_IP }, 443],
      [{ name: "metadata service", ip: "169.254.169.254" }, 80],
      [llm, 80],
    ] as Array<[Peer, number]>) {
      closed.push(tcp(pod(name), to, port));
    }
    if (!publicOn443.has(name)) closed.push(tcp(pod(name), receiver, 443));
    if (name !== "prometheus") closed.push(tcp(pod(name), nodeIp, 10250), tcp(pod(name), nodeIp, 9100));
    if (name !== "prometheus" && name !== "kube-state-metrics") closed.push(tcp(pod(name), apiServer, 443));
    if (name !== "api" && !publicOn443.has(name)) closed.push(tcp(pod(name), llm, 443));
  }
  assert.ok(needed.length > 40 && closed.length > 200, `${needed.length} open and ${closed.length} closed flows`);

  const answers = allowed(policies, [...needed, ...closed]);
  const notOpen = needed.filter((_, i) => !answers[i]).map(key);
  const notClosed = closed.filter((_, i) => answers[needed.length + i]).map(key);
  assert.deepEqual({ notOpen, notClosed }, { notOpen: [], notClosed: [] });
});
