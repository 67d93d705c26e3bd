// Promtail's configuration on each target, and the addresses it ships to: the floor that both the
// log store (./loki.ts) and the Kubernetes collector (./collector-kubernetes.ts) read.
import { toYaml } from "../alerts/rules";

export const LOKI_PORT = 3100;
export const LOKI_HOST = "loki";
export const PROMTAIL_CONFIG = "/etc/promtail/promtail.yml";
export const PROMTAIL_PORT = 9080;

const relabel = (source: string, target: string) => ({ source_labels: [source], target_label: target });

/** Promtail on Docker: every container of this environment, found through the Docker API. */
export function renderPromtailDockerConfig(o: {
  environment: string;
  dockerHost: string;
  lokiUrl: string;
  positionsFile: string;
  httpPort?: number;
  refreshInterval?: string;
}): string {
  return toYaml({
    clients: [{ url: `${o.lokiUrl}/loki/api/v1/push` }],
    positions: { filename: o.positionsFile },
    scrape_configs: [
      {
        docker_sd_configs: [
          {
            filters: [{ name: "label", values: [`ops-baseline/environment=${o.environment}`] }],
            host: o.dockerHost,
            refresh_interval: o.refreshInterval ?? "10s",
          },
        ],
        job_name: "docker",
        relabel_configs: [
          relabel("__meta_docker_container_label_app_kubernetes_io_name", "service"),
          relabel("__meta_docker_container_label_ops_baseline_environment", "environment"),
          { ...relabel("__meta_docker_container_name", "container"), regex: "/(.*)" },
          relabel("__meta_docker_container_log_stream", "stream"),
        ],
      },
    ],
    server: { grpc_listen_port: 0, http_listen_port: o.httpPort ?? PROMTAIL_PORT },
  });
}

/** Promtail on Kubernetes: a DaemonSet pod tails /var/log/pods of the pods on its node. */
export function renderPromtailKubernetesConfig(o: {
  namespace: string;
  lokiUrl: string;
  positionsFile: string;
}): string {
  return toYaml({
    clients: [{ url: `${o.lokiUrl}/loki/api/v1/push` }],
    positions: { filename: o.positionsFile },
    scrape_configs: [
      {
        job_name: "kubernetes-pods",
        kubernetes_sd_configs: [{ namespaces: { names: [o.namespace] }, role: "pod" }],
        // The kubelet writes CRI lines: "<time> <stream> <flag> <message>".
        pipeline_stages: [{ cri: {} }],
        relabel_configs: [
          relabel("__meta_kubernetes_pod_label_app_kubernetes_io_name", "service"),
          relabel("__meta_kubernetes_pod_label_ops_baseline_environment", "environment"),
          relabel("__meta_kubernetes_namespace", "namespace"),
          relabel("__meta_kubernetes_pod_name", "pod"),
          relabel("__meta_kubernetes_pod_container_name", "container"),
          // Only the pods of this node: Promtail compares __host__ with its HOSTNAME.
          relabel("__meta_kubernetes_pod_node_name", "__host__"),
          {
            replacement: "/var/log/pods/*$1/*.log",
            separator: "/",
            source_labels: ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"],
            target_label: "__path__",
          },
        ],
      },
    ],
    server: { grpc_listen_port: 0, http_listen_port: PROMTAIL_PORT },
  });
}
