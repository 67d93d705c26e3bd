// node-exporter as a DaemonSet on every node, in a privileged namespace of its own.
import type { Resources } from "../../workloads/model";
import { bytesToQuantity, millicoresToQuantity } from "../../workloads/units";
import { selectorLabels, stripUndefined, type K8sObject, type KubeContext } from "./objects";

export interface NodeExporterSpec {
  namespace: string;
  image: string;
  resources: Resources;
}

/**
 * node-exporter on every node, in a namespace of its own whose Pod Security level is
 * `privileged`: it reads the host's /proc, /sys and root filesystem and uses the host's network
 * and PID namespaces, which `restricted` (and `baseline`) forbid. It still runs as nobody, drops
 * every capability and cannot escalate.
 */
export function nodeExporterObjects(spec: NodeExporterSpec, ctx: KubeContext): K8sObject[] {
  const labels = {
    ...ctx.commonLabels,
    ...selectorLabels("node-exporter"),
    "app.kubernetes.io/component": "monitoring",
  };
  const host = (name: string, path: string, mountPath: string) => ({
    volume: { name, hostPath: { path } },
    mount: { name, mountPath, readOnly: true, mountPropagation: name === "root" ? "HostToContainer" : undefined },
  });
  const mounts = [
    host("proc", "/proc", "/host/proc"),
    host("sys", "/sys", "/host/sys"),
    host("root", "/", "/host/root"),
  ];
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: spec.namespace,
        labels: {
          ...ctx.commonLabels,
          "pod-security.kubernetes.io/enforce": "privileged",
          "pod-security.kubernetes.io/enforce-version": "latest",
          // Still warns about (and audits) anything beyond baseline, which node-exporter is.
          "pod-security.kubernetes.io/audit": "baseline",
        },
      },
    },
    stripUndefined({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "node-exporter", namespace: spec.namespace, labels },
      spec: {
        selector: { matchLabels: selectorLabels("node-exporter") },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            hostNetwork: true,
            hostPID: true,
            priorityClassName: "system-node-critical",
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65534,
              runAsGroup: 65534,
              seccompProfile: { type: "RuntimeDefault" },
            },
            tolerations: [{ operator: "Exists" }],
            containers: [
              {
                name: "node-exporter",
                image: spec.image,
                imagePullPolicy: "IfNotPresent",
                args: [
                  "--path.procfs=/host/proc",
                  "--path.sysfs=/host/sys",
                  "--path.rootfs=/host/root",
                  `--web.listen-address=:9100`,
                  "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/kubelet/.+)($|/)",
                ],
                ports: [{ name: "metrics", containerPort: 9100, hostPort: 9100, protocol: "TCP" }],
                livenessProbe: {
                  httpGet: { path: "/", port: 9100 },
                  periodSeconds: 30,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: "/", port: 9100 },
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                resources: {
                  requests: {
                    cpu: millicoresToQuantity(spec.resources.cpuRequestMillicores),
                    memory: bytesToQuantity(spec.resources.memoryRequestBytes),
                  },
                  limits: {
                    cpu: millicoresToQuantity(spec.resources.cpuLimitMillicores),
                    memory: bytesToQuantity(spec.resources.memoryLimitBytes),
                  },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  privileged: false,
                  readOnlyRootFilesystem: true,
                },
                volumeMounts: mounts.map((m) => m.mount),
              },
            ],
            volumes: mounts.map((m) => m.volume),
          },
        },
      },
    }),
  ];
}
