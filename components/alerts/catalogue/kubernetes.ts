// Kubernetes objects, after kube-prometheus' kubernetes-apps and kubernetes-storage rules,
// from kube-state-metrics (scoped to the stack's namespace) and the kubelet's volume stats.
import type { AlertDefinition } from "./types";
import { counter, gauge } from "./series";

export const KUBERNETES_ALERTS: AlertDefinition[] = [
  ...(
    [
      {
        name: "KubePodCrashLooping",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) =>
          `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",namespace="${ns}"}[5m]) >= 1`,
        summary: "{{ $labels.pod }}/{{ $labels.container }} is crash looping",
        description:
          "Container {{ $labels.container }} of pod {{ $labels.pod }} keeps restarting (CrashLoopBackOff) for 15 minutes.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_pod_container_status_waiting_reason{job="kube-state-metrics",namespace="${ns}",pod="api-0",container="api",reason="CrashLoopBackOff"}`,
            values: gauge(bad ? 1 : 0),
          },
        ],
        labels: (ns: string) => ({
          namespace: ns,
          pod: "api-0",
          container: "api",
          reason: "CrashLoopBackOff",
          job: "kube-state-metrics",
        }),
      },
      {
        name: "KubeContainerOOMKilled",
        forSeconds: 0,
        severity: "warning",
        expr: (ns: string) =>
          `(kube_pod_container_status_last_terminated_reason{reason="OOMKilled",namespace="${ns}"} == 1) and on (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{namespace="${ns}"}[10m]) > 0)`,
        summary: "{{ $labels.pod }}/{{ $labels.container }} was OOM killed",
        description:
          "Container {{ $labels.container }} of pod {{ $labels.pod }} was killed for exceeding its memory limit and restarted in the last 10 minutes.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_pod_container_status_last_terminated_reason{job="kube-state-metrics",namespace="${ns}",pod="api-0",container="api",reason="OOMKilled"}`,
            values: gauge(1),
          },
          {
            series: `kube_pod_container_status_restarts_total{job="kube-state-metrics",namespace="${ns}",pod="api-0",container="api"}`,
            values: bad ? counter(1) : gauge(3),
          },
        ],
        labels: (ns: string) => ({
          namespace: ns,
          pod: "api-0",
          container: "api",
          reason: "OOMKilled",
          job: "kube-state-metrics",
        }),
      },
      {
        name: "KubeJobFailed",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) => `kube_job_failed{namespace="${ns}"} > 0`,
        summary: "Job {{ $labels.job_name }} failed",
        description:
          "Job {{ $labels.job_name }} (a backup or restore drill run) failed; the CronJob keeps it for inspection (kubectl describe job).",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_job_failed{job="kube-state-metrics",namespace="${ns}",job_name="postgres-backup-1",condition="true"}`,
            values: gauge(bad ? 1 : 0),
          },
        ],
        labels: (ns: string) => ({
          namespace: ns,
          job_name: "postgres-backup-1",
          condition: "true",
          job: "kube-state-metrics",
        }),
      },
      {
        name: "KubeDeploymentReplicasMismatch",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) =>
          `kube_deployment_spec_replicas{namespace="${ns}"} != kube_deployment_status_replicas_available{namespace="${ns}"}`,
        summary: "Deployment {{ $labels.deployment }} lacks available replicas",
        description:
          "Deployment {{ $labels.deployment }} has had fewer available replicas than it asks for during 15 minutes (image pull, scheduling, crash or readiness).",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_deployment_spec_replicas{job="kube-state-metrics",namespace="${ns}",deployment="api"}`,
            values: gauge(2),
          },
          {
            series: `kube_deployment_status_replicas_available{job="kube-state-metrics",namespace="${ns}",deployment="api"}`,
            values: gauge(bad ? 1 : 2),
          },
        ],
        labels: (ns: string) => ({ namespace: ns, deployment: "api", job: "kube-state-metrics" }),
      },
      {
        name: "KubeStatefulSetReplicasMismatch",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) =>
          `kube_statefulset_status_replicas_ready{namespace="${ns}"} != kube_statefulset_status_replicas{namespace="${ns}"}`,
        summary: "StatefulSet {{ $labels.statefulset }} lacks ready replicas",
        description: "StatefulSet {{ $labels.statefulset }} has had replicas that are not ready during 15 minutes.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_statefulset_status_replicas{job="kube-state-metrics",namespace="${ns}",statefulset="postgres"}`,
            values: gauge(1),
          },
          {
            series: `kube_statefulset_status_replicas_ready{job="kube-state-metrics",namespace="${ns}",statefulset="postgres"}`,
            values: gauge(bad ? 0 : 1),
          },
        ],
        labels: (ns: string) => ({ namespace: ns, statefulset: "postgres", job: "kube-state-metrics" }),
      },
      {
        name: "KubePersistentVolumeFillingUp",
        forSeconds: 60,
        severity: "critical",
        expr: (ns: string) =>
          `kubelet_volume_stats_available_bytes{namespace="${ns}"} / kubelet_volume_stats_capacity_bytes{namespace="${ns}"} < 0.03`,
        summary: "Volume {{ $labels.persistentvolumeclaim }} is almost full",
        description: "The volume of claim {{ $labels.persistentvolumeclaim }} has less than 3 % free space.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kubelet_volume_stats_available_bytes{job="kubelet",namespace="${ns}",persistentvolumeclaim="data-postgres-0"}`,
            values: gauge(bad ? 2e8 : 4e8),
          },
          {
            series: `kubelet_volume_stats_capacity_bytes{job="kubelet",namespace="${ns}",persistentvolumeclaim="data-postgres-0"}`,
            values: gauge(1e10),
          },
        ],
        labels: (ns: string) => ({ namespace: ns, persistentvolumeclaim: "data-postgres-0", job: "kubelet" }),
      },
    ] as const
  ).map(
    (k): AlertDefinition => ({
      name: k.name,
      group: "kubernetes",
      severity: k.severity,
      forSeconds: k.forSeconds,
      expr: (_, ctx) => (ctx.kubernetesNamespace ? [k.expr(ctx.kubernetesNamespace)] : []),
      summary: k.summary,
      description: k.description,
      runbook: k.name.toLowerCase(),
      test: (_, ctx) => {
        const ns = ctx.kubernetesNamespace ?? "ops-baseline";
        return { firing: k.series(ns, true), silent: k.series(ns, false), steadyMinutes: 10, labels: k.labels(ns) };
      },
    }),
  ),
];
