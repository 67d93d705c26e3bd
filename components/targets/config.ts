// The `target` part of the stack file: where the stack is placed (the local Docker engine or a
// Kubernetes cluster) and what each target needs to know of its surroundings.
import { z } from "zod";
import { name, pinnedImage } from "../fields";

const dockerTargetSchema = z.strictObject({
  kind: z.literal("docker"),
  host: z.string().regex(/^(unix|tcp|ssh|npipe):\/\//, "must be a Docker host URL like unix:///var/run/docker.sock"),
  bindAddress: z.union([z.ipv4(), z.ipv6()]),
  /**
   * The engine's directory of container log files (`<data-root>/containers`, see
   * `docker info -f '{{.DockerRootDir}}'`): the log collector reads the json-file logs there.
   */
  containerLogDir: z
    .string()
    .regex(/^\/[^\s]*$/, "must be an absolute path like /var/lib/docker/containers")
    .default("/var/lib/docker/containers"),
});

const kubernetesTargetSchema = z.strictObject({
  kind: z.literal("kubernetes"),
  context: z.string().optional(),
  namespace: name(),
  storageClass: z.string().optional(),
  /** Write manifests here instead of talking to a cluster (preview and review without one). */
  renderYamlToDirectory: z.string().optional(),
  /** DNS resolver addresses that are not pods (a node-local DNS cache), allowed besides cluster DNS pods. */
  dnsCidrs: z.array(z.cidrv4({ error: () => "must be an IPv4 CIDR such as 169.254.20.10/32" })).default([]),
  /**
   * The namespace and the claims that hold data are `protect`ed (the engine refuses to delete
   * them) and `retainOnDelete` (a destroy that is forced anyway leaves them in the cluster).
   */
  protectData: z.boolean(),
  /**
   * Do not wait for workloads to become ready (the `pulumi.com/skipAwait` annotation): only for a
   * control plane without nodes, such as the API server the tests start.
   */
  skipAwait: z.boolean().default(false),
  /** Sidecar that reloads Prometheus and Alertmanager when their mounted configuration changes. */
  configReloaderImage: pinnedImage(),
  /**
   * Watching the cluster the stack runs on: node-exporter as a DaemonSet with host mounts in its
   * own namespace (Pod Security `privileged`; the stack's namespace stays `restricted`),
   * kube-state-metrics for the stack's namespace, the kubelet's and cAdvisor's metrics.
   */
  clusterMonitoring: z.strictObject({
    enabled: z.boolean(),
    nodeNamespace: name(),
    kubeStateMetricsImage: pinnedImage(),
    /** Where the nodes' addresses are (node-exporter 9100, kubelet 10250 are reached there). */
    nodeCidrs: z.array(z.cidrv4({ error: () => "must be an IPv4 CIDR such as 10.0.0.0/8" })).min(1),
    /** Where the API server answers (443, 6443), for Prometheus' Kubernetes service discovery. */
    apiServerCidrs: z.array(z.cidrv4({ error: () => "must be an IPv4 CIDR such as 10.96.0.1/32" })).min(1),
  }),
});

export const targetSchema = z.discriminatedUnion("kind", [dockerTargetSchema, kubernetesTargetSchema], {
  error: () => 'kind must be "docker" or "kubernetes"',
});
export type TargetConfig = z.output<typeof targetSchema>;
