// NetworkPolicies: deny by default, then the flows between workloads and jobs, DNS, and the
// external address ranges a workload or job declares.
import { nodeAgentNamespace, type ExternalEgress, type ScheduledJob, type Workload } from "../../workloads/model";
import { metadata, selectorLabels, stripUndefined, type K8sObject, type KubeContext } from "./objects";

/**
 * Network policy: everything in the namespace is denied by default; each workload may receive
 * traffic from the workloads and jobs that depend on or connect to it, on its own ports, and from
 * anywhere on ports marked external; it may reach the cluster's DNS, the workloads it depends on,
 * and the external address ranges it declares (egress), nothing else. Node agents live in the
 * node-agent namespace (nodeAgentNamespace): the same rules, with the namespace named in every
 * peer that crosses over, and a default-deny of their own there.
 */
export function networkPolicies(workloads: Workload[], jobs: ScheduledJob[], ctx: KubeContext): K8sObject[] {
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const agentNs = nodeAgentNamespace(ctx.namespace);
  const isAgent = (name: string) => byName.get(name)?.placement === "every-node";
  const nsOf = (name: string) => (isAgent(name) ? agentNs : ctx.namespace);
  /** A peer as seen from a pod in namespace `from`. */
  const peer = (name: string, from: string): K8sObject =>
    nsOf(name) === from
      ? { podSelector: { matchLabels: selectorLabels(name) } }
      : {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": nsOf(name) } },
          podSelector: { matchLabels: selectorLabels(name) },
        };
  const clients = new Map<string, Set<string>>();
  const flows = [
    ...workloads.map((w) => ({ from: w.name, to: [...w.dependsOn, ...w.connectsTo], egress: w.egress ?? [] })),
    ...jobs.map((j) => ({ from: j.name, to: j.connectsTo, egress: j.egress ?? [] })),
  ];
  for (const { from, to } of flows) {
    for (const target of to) {
      if (!clients.has(target)) clients.set(target, new Set());
      clients.get(target)!.add(from);
    }
  }
  const portsOf = (name: string) =>
    (byName.get(name)?.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol.toUpperCase() }));
  const namespaces = [ctx.namespace, ...(workloads.some((w) => w.placement === "every-node") ? [agentNs] : [])];
  const policies: K8sObject[] = namespaces.map((namespace) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata("default-deny", { ...ctx, namespace }, {}),
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  }));
  const dns = dnsEgress(ctx);
  for (const { from, to, egress: external } of flows.sort((a, b) => a.from.localeCompare(b.from))) {
    const self = byName.get(from);
    const here = nsOf(from);
    const ingress: K8sObject[] = [];
    const callers = [...(clients.get(from) ?? [])].sort();
    if (self && callers.length > 0 && self.ports.length > 0) {
      ingress.push({
        from: callers.map((c) => peer(c, here)),
        ports: portsOf(from),
      });
    }
    const open = (self?.ports ?? []).filter((p) => p.external);
    if (open.length > 0) {
      ingress.push({ ports: open.map((p) => ({ port: p.containerPort, protocol: p.protocol.toUpperCase() })) });
    }
    const egress: K8sObject[] = [dns];
    for (const target of [...new Set(to)].sort()) {
      const ports = portsOf(target);
      if (ports.length === 0) continue;
      egress.push({ to: [peer(target, here)], ports });
    }
    for (const e of [...external].sort((a, b) => a.name.localeCompare(b.name))) egress.push(externalEgressRule(e));
    policies.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata(from, { ...ctx, namespace: here }, {}),
      // An empty `ingress` list is stored by the API server as absent (both deny everything),
      // so it is left out rather than showing as a change on every apply.
      spec: stripUndefined({
        podSelector: { matchLabels: selectorLabels(from) },
        policyTypes: ["Ingress", "Egress"],
        ingress: ingress.length > 0 ? ingress : undefined,
        egress,
      }),
    });
  }
  return policies;
}

/**
 * DNS on port 53 to the cluster's resolver wherever it runs: any pod of any namespace (CoreDNS,
 * kube-dns, whatever its labels) plus the addresses in `dnsCidrs` (a node-local cache on a
 * link-local address, which is no pod).
 */
function dnsEgress(ctx: KubeContext): K8sObject {
  return {
    to: [{ namespaceSelector: {} }, ...(ctx.dnsCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }))],
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
  };
}

function externalEgressRule(e: ExternalEgress): K8sObject {
  return {
    to: [...e.cidrs].sort().map((cidr) => {
      const except = e.except.filter((x) => cidrContains(cidr, x)).sort();
      return { ipBlock: stripUndefined({ cidr, except: except.length > 0 ? except : undefined }) };
    }),
    ports: [...e.ports].sort((a, b) => a - b).map((port) => ({ port, protocol: "TCP" })),
  };
}

/** Whether IPv4 range `inner` lies inside `outer` and is smaller (the API rejects other excepts). */
export function cidrContains(outer: string, inner: string): boolean {
  const parse = (c: string) => {
    const [ip, bits] = c.split("/");
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) return undefined;
    return { addr: parts.reduce((a, p) => a * 256 + p, 0), bits: Number(bits) };
  };
  const o = parse(outer);
  const i = parse(inner);
  if (!o || !i || i.bits <= o.bits) return false;
  const size = 2 ** (32 - o.bits);
  return Math.floor(i.addr / size) === Math.floor(o.addr / size);
}
