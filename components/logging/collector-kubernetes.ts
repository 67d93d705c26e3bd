// The log collector on Kubernetes: a Promtail DaemonSet that tails /var/log/pods on every node.
// Reading the node's log directory needs a hostPath mount, which the application namespace's
// "restricted" Pod Security level refuses, so the collector has its own workload set in its own
// namespace (`<namespace>-logging`, Pod Security "privileged") that a shared monitoring
// namespace can host instead. Pure: plain API objects, registered by the Kubernetes target.
import type { K8sObject } from "../targets/kubernetes/objects";
import { bytesToQuantity, millicoresToQuantity } from "../workloads/units";
import type { LogStoreConfig } from "./config";
import { LOKI_HOST, LOKI_PORT, PROMTAIL_CONFIG, PROMTAIL_PORT, renderPromtailKubernetesConfig } from "./promtail";

export interface CollectorContext {
  /** The application namespace, where Loki and the pods whose logs are collected run. */
  namespace: string;
  environment: string;
  commonLabels: Record<string, string>;
}

export function collectorNamespace(namespace: string): string {
  return `${namespace}-logging`;
}

const NAME = "promtail";

export function kubernetesCollectorObjects(store: LogStoreConfig, ctx: CollectorContext): K8sObject[] {
  const ns = collectorNamespace(ctx.namespace);
  const labels = {
    ...ctx.commonLabels,
    "app.kubernetes.io/name": NAME,
    "app.kubernetes.io/component": "logging",
    "app.kubernetes.io/managed-by": "pulumi",
  };
  const selector = { "app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "ops-baseline" };
  const meta = (name: string, namespaced = true) => ({ name, ...(namespaced ? { namespace: ns } : {}), labels });
  const clusterName = `${ns}-${NAME}`;
  const r = store.collector.resources;
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: ns,
        labels: {
          ...ctx.commonLabels,
          // hostPath mounts of /var/log/pods: only the privileged level admits them.
          "pod-security.kubernetes.io/enforce": "privileged",
          "pod-security.kubernetes.io/enforce-version": "latest",
        },
      },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(NAME) },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: meta(clusterName, false),
      rules: [{ apiGroups: [""], resources: ["nodes", "pods"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: meta(clusterName, false),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterName },
      subjects: [{ kind: "ServiceAccount", name: NAME, namespace: ns }],
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(`${NAME}-config`),
      data: {
        "promtail.yml": renderPromtailKubernetesConfig({
          namespace: ctx.namespace,
          lokiUrl: `http://${LOKI_HOST}.${ctx.namespace}.svc.cluster.local:${LOKI_PORT}`,
          positionsFile: "/run/promtail/positions.yaml",
        }),
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: meta(NAME),
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: NAME,
            tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
            securityContext: { runAsUser: 0, runAsGroup: 0 },
            containers: [
              {
                name: NAME,
                image: store.collector.image,
                args: [`-config.file=${PROMTAIL_CONFIG}`],
                // Promtail keeps only the pods of the node named here.
                env: [{ name: "HOSTNAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                ports: [{ name: "http", containerPort: PROMTAIL_PORT, protocol: "TCP" }],
                readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 30, failureThreshold: 5 },
                resources: {
                  requests: { cpu: millicoresToQuantity(r.requests.cpu), memory: bytesToQuantity(r.requests.memory) },
                  limits: { cpu: millicoresToQuantity(r.limits.cpu), memory: bytesToQuantity(r.limits.memory) },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
                volumeMounts: [
                  { name: "config", mountPath: "/etc/promtail", readOnly: true },
                  { name: "pods", mountPath: "/var/log/pods", readOnly: true },
                  { name: "positions", mountPath: "/run/promtail" },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: `${NAME}-config` } },
              { name: "pods", hostPath: { path: "/var/log/pods", type: "Directory" } },
              // Survives a pod restart on the node, so lines are neither lost nor repeated.
              { name: "positions", hostPath: { path: `/var/lib/${ns}-promtail`, type: "DirectoryOrCreate" } },
              { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            ],
          },
        },
      },
    },
    {
      // Egress from the collector: DNS, the API server (pod discovery) and Loki only.
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta(NAME),
      spec: {
        podSelector: { matchLabels: selector },
        // Ingress is denied by naming the type without rules: an empty `ingress` list would be
        // stored as absent and show as a change on every apply.
        policyTypes: ["Ingress", "Egress"],
        egress: [
          {
            // The cluster's DNS on port 53, whatever its pods are labelled.
            to: [{ namespaceSelector: {} }],
            ports: [
              { port: 53, protocol: "UDP" },
              { port: 53, protocol: "TCP" },
            ],
          },
          {
            ports: [
              { port: 443, protocol: "TCP" },
              { port: 6443, protocol: "TCP" },
            ],
          },
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ctx.namespace } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": LOKI_HOST } },
              },
            ],
            ports: [{ port: LOKI_PORT, protocol: "TCP" }],
          },
        ],
      },
    },
    {
      // Ingress to Loki from the collector's namespace (added to the application namespace's
      // default-deny; NetworkPolicies add up).
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: `${LOKI_HOST}-from-collector`, namespace: ctx.namespace, labels },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": LOKI_HOST } },
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
                podSelector: { matchLabels: selector },
              },
            ],
            ports: [{ port: LOKI_PORT, protocol: "TCP" }],
          },
        ],
      },
    },
  ];
}
