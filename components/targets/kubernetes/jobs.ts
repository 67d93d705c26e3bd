// Scheduled jobs as Kubernetes CronJobs, with the same containers and pod volumes as workloads.
import type { ScheduledJob } from "../../workloads/model";
import { metadata, nonEmptyList, selectorLabels, stripUndefined, type K8sObject, type KubeContext } from "./objects";
import { podVolumes } from "./storage";
import { containerFor, podSecurityContext } from "./workloads";

export function cronJob(job: ScheduledJob, ctx: KubeContext): K8sObject {
  return stripUndefined({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: metadata(job.name, ctx, job.labels),
    spec: {
      schedule: job.schedule,
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: job.startingDeadlineSeconds,
      successfulJobsHistoryLimit: job.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: job.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels: { ...job.labels, ...selectorLabels(job.name) } },
        spec: {
          backoffLimit: job.backoffLimit,
          activeDeadlineSeconds: job.activeDeadlineSeconds,
          template: {
            metadata: { labels: { ...job.labels, ...selectorLabels(job.name) } },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: podSecurityContext(job),
              containers: [containerFor(job.name, job.name, job)],
              volumes: nonEmptyList(podVolumes(job.name, [job], new Set(), ctx)),
            },
          },
        },
      },
    },
  });
}
