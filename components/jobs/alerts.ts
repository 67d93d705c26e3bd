// Alerts on the stack's own scheduled jobs, from what `run-job` pushes to the Pushgateway:
// JobFailed when the last run failed, JobNotRunning when the last success is older than the
// longest gap of the job's schedule plus its timeout, or when no success was ever recorded after
// the Pushgateway has been up that long (the absent metric is guarded, so a fresh stack does not
// page at once). Part of the catalogue (components/alerts/catalogue.ts), so overrides, runbook
// sections, routing, inhibition and the generated promtool suite apply to them like to any other.
import type { AlertContext, AlertDefinition, AlertTestPlan } from "../alerts/catalogue/types";

const JOB = "scheduled_job";
const LAST_SUCCESS = "scheduled_job_last_success_timestamp_seconds";
const LAST_ATTEMPT = "scheduled_job_last_attempt_success";

function jobs(ctx: AlertContext): Array<{ name: string; overdueSeconds: number }> {
  return ctx.scheduledJobs ?? [];
}

const series = (metric: string, name: string) => `${metric}{job="${JOB}",instance="",${JOB}="${name}"}`;
const constant = (value: number) => `${Number(value.toPrecision(12))}+0x240`;

export const JOB_ALERTS: AlertDefinition[] = [
  {
    name: "JobFailed",
    group: "jobs",
    severity: "warning",
    forSeconds: 60,
    expr: (_, ctx) =>
      jobs(ctx).length === 0
        ? []
        : [
            `${LAST_ATTEMPT}{${JOB}=~"${jobs(ctx)
              .map((j) => j.name)
              .join("|")}"} == 0`,
          ],
    summary: "Scheduled job {{ $labels.scheduled_job }} failed",
    description:
      "The last run of the scheduled job {{ $labels.scheduled_job }} exited with an error or hit its timeout; its log is in the job's container (Docker) or its last Job's pod (Kubernetes).",
    runbook: "jobfailed",
    test: (_, ctx): AlertTestPlan => {
      const name = jobs(ctx)[0]?.name ?? "job";
      return {
        firing: [{ series: series(LAST_ATTEMPT, name), values: constant(0) }],
        silent: [{ series: series(LAST_ATTEMPT, name), values: constant(1) }],
        steadyMinutes: 0,
        labels: { job: JOB, [JOB]: name },
      };
    },
  },
  {
    name: "JobNotRunning",
    group: "jobs",
    severity: "warning",
    forSeconds: 300,
    // One rule (promtool refuses two rules of one name and labels): per job, the stale success
    // or, once the Pushgateway has been up that long, none at all.
    expr: (_, ctx) =>
      jobs(ctx).length === 0
        ? []
        : [
            jobs(ctx)
              .flatMap(({ name, overdueSeconds }) => [
                `(time() - ${LAST_SUCCESS}{${JOB}="${name}"} > ${overdueSeconds})`,
                `(absent(${LAST_SUCCESS}{${JOB}="${name}"}) and on() (time() - max(process_start_time_seconds{job="pushgateway"}) > ${overdueSeconds}))`,
              ])
              .join(" or "),
          ],
    summary: "Scheduled job {{ $labels.scheduled_job }} has not succeeded within its period",
    description:
      "No successful run of the scheduled job {{ $labels.scheduled_job }} for longer than the longest gap of its schedule plus its timeout (or none ever recorded): its container or CronJob is not running, or every run fails.",
    runbook: "jobnotrunning",
    test: (_, ctx): AlertTestPlan => {
      const { name, overdueSeconds } = jobs(ctx)[0] ?? { name: "job", overdueSeconds: 3600 };
      return {
        // Evaluated up to about 20 minutes in: the last success is always past, or always within, the limit.
        firing: [{ series: series(LAST_SUCCESS, name), values: constant(-overdueSeconds - 60) }],
        silent: [{ series: series(LAST_SUCCESS, name), values: constant(1500 - overdueSeconds) }],
        steadyMinutes: 0,
        labels: { job: JOB, [JOB]: name },
      };
    },
  },
];
