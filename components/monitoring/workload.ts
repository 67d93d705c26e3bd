// What every monitoring workload shares: the defaults of one workload of the monitoring role, and
// the cluster the stack watches (Kubernetes with cluster monitoring), if any.
import type { MonitoringInput } from "./config";
import type { TargetConfig } from "../targets/config";
import { standardLabels } from "../workloads/labels";
import { containerLogPolicy, toResources } from "../workloads/resources";
import type { Workload } from "../workloads/model";
import { nonRootUser } from "../workloads/security";

export type Common = Pick<MonitoringInput["monitoring"]["prometheus"], "image" | "build" | "resources">;

/** The cluster the stack runs on and watches: its settings and the stack's namespace. */
export type WatchedCluster = Extract<TargetConfig, { kind: "kubernetes" }>["clusterMonitoring"] & {
  namespace: string;
};

export function watchedCluster(config: MonitoringInput): WatchedCluster | undefined {
  return config.target.kind === "kubernetes" && config.target.clusterMonitoring.enabled
    ? { ...config.target.clusterMonitoring, namespace: config.target.namespace }
    : undefined;
}

export function monitoringWorkload(
  config: MonitoringInput,
  name: string,
  part: Common,
  fields: Partial<Workload> & Pick<Workload, "ports">,
): Workload {
  return {
    kind: "workload",
    name,
    role: "monitoring",
    image: { ref: part.image, build: part.build },
    command: undefined,
    args: [],
    env: {},
    secretEnv: [],
    files: [],
    secretFiles: [],
    volumes: [],
    resources: toResources(part.resources),
    securityContext: nonRootUser(65534),
    replicas: 1,
    restartPolicy: config.profile === "dev" ? "unless-stopped" : "always",
    // Those that keep data (TSDB, silences, dashboards' state) run as StatefulSets with claims.
    stateful: (fields.volumes ?? []).some((v) => v.persistent),
    health: {},
    dependsOn: [],
    connectsTo: [],
    metrics: [{ port: fields.ports[0].name, path: "/metrics" }],
    logPolicy: containerLogPolicy(config),
    logFiles: [],
    sidecars: [],
    labels: standardLabels(config, name, "monitoring"),
    annotations: {},
    ...fields,
  };
}
