// The stack's own jobs: validation of the stack file (one message per problem, naming the file
// and the key), the CronJob and network policy they become on Kubernetes, and JobNotRunning's
// absent-metric branch with the real promtool (the generated suite covers the stale branch and
// JobFailed).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { loadStackConfig } from "../../stacks/config/load";
import { cronLongestGapSeconds } from "../fields";
import { planEnvironment } from "../../stacks/plan";
import { editedStackInput, loaderProblems } from "../../test/support/stack-files";
import { pinnedTool, runOk } from "../../test/support/tools";
import { mountsFor, volumeName } from "../targets/docker/containers";
import { cronJob } from "../targets/kubernetes/jobs";
import { networkPolicies } from "../targets/kubernetes/network";
import type { K8sObject } from "../targets/kubernetes/objects";

const withJobsInput = (stack: string, jobs: Record<string, unknown>) =>
  editedStackInput(stack, (c) => (c["ops-baseline:jobs"] = jobs));
const withJobs = (stack: string, jobs: Record<string, unknown>) => loadStackConfig(withJobsInput(stack, jobs));
const problemsOf = (stack: string, jobs: Record<string, unknown>) => loaderProblems(withJobsInput(stack, jobs));

const ok = { schedule: "*/15 * * * *", command: ["true"] };

test("the longest gap of a schedule: every 15 min, weekly, monthly, weekdays only", () => {
  assert.equal(cronLongestGapSeconds("*/15 * * * *"), 900);
  assert.equal(cronLongestGapSeconds("0 3 * * 0"), 7 * 86400);
  assert.equal(cronLongestGapSeconds("0 4 1 * *"), 31 * 86400);
  assert.equal(cronLongestGapSeconds("0 9 * * 1-5"), 3 * 86400);
  assert.equal(cronLongestGapSeconds("* * * 1 *"), 335 * 86400 + 60);
});

test("bad jobs: one message per problem, naming the file and the key", () => {
  const problems = problemsOf("dev", {
    "bad-cron": { ...ok, schedule: "61 * * * *" },
    "four-fields": { ...ok, schedule: "* * * *" },
    "quartz-only": { ...ok, schedule: "0 0 L * *" },
    never: { ...ok, schedule: "0 0 31 2 *" },
    "no-store": { ...ok, dataStore: "mysql" },
    "no-service": { ...ok, connectsTo: ["web"] },
    "no-volume": { ...ok, volumes: [{ from: "api", volume: "cache", path: "/cache" }] },
    "too-long": { ...ok, timeout: "20m" },
    "no-secret": { ...ok, secretEnv: { TOKEN: "healthToken" } },
    typo: { ...ok, comand: ["true"] },
    api: ok,
  });
  const expected = [
    /^Pulumi\.dev\.yaml: ops-baseline:jobs\.bad-cron\.schedule: "61 \* \* \* \*" is not a valid cron expression: Invalid value for minute: 61$/,
    /^Pulumi\.dev\.yaml: ops-baseline:jobs\.four-fields\.schedule: .*write five fields/,
    /^Pulumi\.dev\.yaml: ops-baseline:jobs\.quartz-only\.schedule: .*"L" is not a number/,
    /^Pulumi\.dev\.yaml: ops-baseline:jobs\.never\.schedule: .*never runs/,
    /^Pulumi\.dev\.yaml: ops-baseline:jobs\.typo\.comand: unknown key \(did you mean "command"\?\)/,
  ];
  // Schema problems stop the load before the cross-checks; those come in a second round.
  for (const pattern of expected)
    assert.ok(
      problems.some((p) => pattern.test(p)),
      `${pattern}\n${problems.join("\n")}`,
    );
  assert.equal(problems.length, expected.length, problems.join("\n"));

  const cross = problemsOf("dev", {
    "no-store": { ...ok, dataStore: "mysql" },
    "no-service": { ...ok, connectsTo: ["web"] },
    "no-volume": { ...ok, volumes: [{ from: "api", volume: "cache", path: "/cache" }] },
    "store-volume": { ...ok, volumes: [{ from: "postgres", volume: "wal", path: "/wal" }] },
    "too-long": { ...ok, timeout: "20m" },
    "no-secret": { ...ok, secretEnv: { TOKEN: "healthToken" } },
    "plain-token": { ...ok, env: { API_TOKEN: "abc" } },
    api: ok,
  });
  for (const pattern of [
    /ops-baseline:jobs\.plain-token\.env\.API_TOKEN: looks like a credential; move it to secretEnv/,
    /ops-baseline:jobs\.no-store\.dataStore: names no data store; expected one of: postgres, redis$/,
    /ops-baseline:jobs\.no-service\.connectsTo\.0: names no service; expected one of: api$/,
    /ops-baseline:jobs\.no-volume\.volumes\.0\.volume: is not a persistent volume of api; expected one of: logs$/,
    /ops-baseline:jobs\.store-volume\.volumes\.0\.volume: a data store has one volume, "data"$/,
    /ops-baseline:jobs\.too-long\.timeout: must be shorter than the time between two runs of "\*\/15 \* \* \* \*"$/,
    /ops-baseline:jobs\.api: "api" is also a service or data store; names must be unique$/,
    /healthToken/,
  ]) {
    assert.ok(
      cross.some((p) => pattern.test(p)),
      `${pattern}\n${cross.join("\n")}`,
    );
  }
  assert.equal(cross.length, 8, cross.join("\n"));
});

test("dev: a job mounts a service's volume read-only, and a data store's, as the Docker target's named volumes", () => {
  const plan = planEnvironment(
    withJobs("dev", {
      scan: {
        ...ok,
        volumes: [
          { from: "api", volume: "logs", path: "/logs" },
          { from: "postgres", volume: "data", path: "/pg", readOnly: false },
        ],
      },
    }),
  );
  const ctx = { stack: "dev", bindAddress: "127.0.0.1", networkName: "ops-baseline-dev" };
  const scan = plan.jobs.find((j) => j.name === "scan")!;
  assert.deepEqual(
    mountsFor(ctx, scan.name, scan).filter((m) => m.type === "volume"),
    [
      { target: "/logs", type: "volume", source: volumeName(ctx, "api", "logs"), readOnly: true },
      { target: "/pg", type: "volume", source: volumeName(ctx, "postgres", "data"), readOnly: false },
    ],
  );
});

test("prod: a job may not mount another workload's volume on Kubernetes", () => {
  const problems = problemsOf("prod", {
    scan: { ...ok, volumes: [{ from: "postgres", volume: "data", path: "/data" }] },
  });
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0],
    /^Pulumi\.prod\.yaml: ops-baseline:jobs\.scan\.volumes\.0: a job cannot mount another workload's volume on Kubernetes/,
  );
});

test("prod: a job is a CronJob with Forbid, its deadline from the timeout, a restricted pod, and egress only where it needs", () => {
  const config = withJobs("prod", {
    "health-check": { ...ok, command: ["curl", "-fsS", "http://api:3000/health"], connectsTo: ["api"], timeout: "1m" },
    vacuum: {
      schedule: "0 3 * * 0",
      timeout: "1h",
      dataStore: "postgres",
      command: ["psql", "-c", "VACUUM (ANALYZE)"],
    },
  });
  const plan = planEnvironment(config);
  const ctx = { namespace: "ops-baseline", commonLabels: {} };
  const vacuum = cronJob(plan.jobs.find((j) => j.name === "vacuum")!, ctx);
  assert.equal(vacuum.spec.schedule, "0 3 * * 0");
  assert.equal(vacuum.spec.concurrencyPolicy, "Forbid");
  assert.equal(vacuum.spec.successfulJobsHistoryLimit, 3);
  assert.equal(vacuum.spec.failedJobsHistoryLimit, 3);
  const jobSpec = vacuum.spec.jobTemplate.spec;
  assert.equal(jobSpec.activeDeadlineSeconds, 3600 + 30);
  assert.equal(jobSpec.backoffLimit, 0);
  const pod = jobSpec.template.spec;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  const [container] = pod.containers;
  assert.deepEqual(container.command, ["/opt/ops-baseline/bin/run-job", "--", "psql", "-c", "VACUUM (ANALYZE)"]);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities, { drop: ["ALL"] });
  const env = Object.fromEntries(container.env.map((e: K8sObject) => [e.name, e.value ?? e.valueFrom]));
  assert.equal(env.PGHOST, "postgres");
  assert.equal(env.JOB_TIMEOUT_SECONDS, "3600");
  assert.equal(env.PUSHGATEWAY_URL, "http://pushgateway:9091");
  assert.ok(env.PGPASSWORD.secretKeyRef, "the password comes from a Secret, not plain text");

  // The network policy of each job: egress to the Pushgateway and what it names, nothing else.
  const policies = networkPolicies(plan.workloads, plan.jobs, ctx);
  const egressOf = (name: string) => {
    const policy = policies.find((p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === name);
    assert.ok(policy, `a NetworkPolicy selects ${name}`);
    return policy.spec.egress
      .flatMap((r: K8sObject) => r.to ?? [])
      .map((t: K8sObject) => t.podSelector?.matchLabels?.["app.kubernetes.io/name"])
      .filter(Boolean)
      .sort();
  };
  assert.deepEqual(egressOf("vacuum"), ["postgres", "pushgateway"]);
  assert.deepEqual(egressOf("health-check"), ["api", "pushgateway"]);
  // And each of those accepts the job as a client.
  const ingressOf = (name: string) =>
    policies
      .filter((p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === name)
      .flatMap((p) => p.spec.ingress ?? [])
      .flatMap((r: K8sObject) => r.from ?? [])
      .map((f: K8sObject) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"]);
  assert.ok(ingressOf("postgres").includes("vacuum"));
  assert.ok(ingressOf("pushgateway").includes("health-check"));
});

test("JobNotRunning fires for a job that never reported once the Pushgateway has been up for its period (promtool)", () => {
  const plan = planEnvironment(withJobs("dev", { "health-check": { ...ok, timeout: "2m" } }));
  const rules = plan.monitoring!.ruleFiles.find((f) => f.name === "jobs.rules.yml")!;
  const overdue = 900 + 120;
  assert.match(rules.content, new RegExp(`> ${overdue}\\)`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-jobs-"));
  try {
    fs.writeFileSync(path.join(dir, "jobs.rules.yml"), rules.content);
    const pushgatewayUp = (startedAt: number) => ({
      series: 'process_start_time_seconds{job="pushgateway",instance="pushgateway:9091"}',
      values: `${startedAt}+0x60`,
    });
    const test = (name: string, startedAt: number, fires: boolean) => ({
      name,
      interval: "1m",
      input_series: [pushgatewayUp(startedAt)],
      alert_rule_test: [
        {
          eval_time: "10m",
          alertname: "JobNotRunning",
          exp_alerts: fires
            ? [
                {
                  exp_labels: { scheduled_job: "health-check", family: "JobNotRunning", severity: "warning" },
                  exp_annotations: {
                    summary: "Scheduled job health-check has not succeeded within its period",
                    description:
                      "No successful run of the scheduled job health-check for longer than the longest gap of its schedule plus its timeout (or none ever recorded): its container or CronJob is not running, or every run fails.",
                    runbook_url: "docs/stacks/dev/RUNBOOK.md#jobnotrunning",
                  },
                },
              ]
            : [],
        },
      ],
    });
    fs.writeFileSync(
      path.join(dir, "tests.yml"),
      stringify({
        rule_files: ["jobs.rules.yml"],
        evaluation_interval: "1m",
        tests: [
          // Up since long before: no success ever recorded is overdue.
          test("never reported, Pushgateway up for longer than the period", -overdue - 3600, true),
          // Just started (a fresh stack, or a Pushgateway that lost its data): give the job its period.
          test("never reported, Pushgateway up for less than the period", 0, false),
        ],
      }),
    );
    const out = runOk(pinnedTool("promtool"), ["test", "rules", path.join(dir, "tests.yml")]);
    assert.match(out, /SUCCESS/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
