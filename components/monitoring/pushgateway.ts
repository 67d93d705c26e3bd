// The Pushgateway: holds the metrics that scheduled jobs (backups, drills) push when they finish.
import type { MonitoringInput } from "./config";
import { httpProbe, type Workload } from "../workloads/model";
import { monitoringWorkload } from "./workload";

export function pushgatewayWorkload(config: MonitoringInput): Workload {
  const m = config.monitoring;
  return monitoringWorkload(config, "pushgateway", m.pushgateway, {
    ports: [{ name: "web", containerPort: 9091, protocol: "tcp", external: false }],
    args: ["--web.listen-address=:9091", "--persistence.file=/data/pushgateway.metrics", "--persistence.interval=1m"],
    volumes: [
      { name: "data", mountPath: "/data", sizeBytes: m.pushgateway.storage, persistent: true, readOnly: false },
    ],
    health: {
      liveness: httpProbe("/-/healthy", "web", 30),
      readiness: httpProbe("/-/ready", "web", 10),
    },
    metrics: [{ port: "web", path: "/metrics", job: "pushgateway", honorLabels: true }],
  });
}
