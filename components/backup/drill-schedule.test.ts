// The restore drill holds SHARE locks on every table of its data store for a moment and reads the
// whole database; no other job on that data store (dumps, VACUUM, REINDEX) may run at the same
// time. Checked for every stack file of the repository and its examples: over a year of runs
// (croner, the project's cron library, in UTC), the drill's run window [start, start + timeout)
// never meets another job's window on the same data store.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Cron } from "croner";
import { planEnvironment } from "../../stacks/plan";
import { exampleStacks, loadExample } from "../../test/support/examples";
import { loadRepoStack, STACKS } from "../../test/support/stack-files";
import type { StackConfig } from "../../stacks/config/schema";
import type { ScheduledJob } from "../workloads/model";
import { parseSize } from "../workloads/units";
import { cronJob } from "../targets/kubernetes/jobs";
import type { K8sObject } from "../targets/kubernetes/objects";

const YEAR_START = Date.UTC(2027, 0, 1);
const YEAR_END = Date.UTC(2028, 0, 1);

/** Every run window of a job in the year, as [start, end) in ms. */
function windows(job: ScheduledJob): Array<[number, number]> {
  const cron = new Cron(job.schedule, { paused: true, utcOffset: 0, legacyMode: true });
  const out: Array<[number, number]> = [];
  let at = new Date(YEAR_START - 1);
  for (;;) {
    const next = cron.nextRun(at);
    if (!next || next.getTime() >= YEAR_END) return out;
    out.push([next.getTime(), next.getTime() + job.activeDeadlineSeconds * 1000]);
    at = next;
  }
}

/** Windows of `a` and `b` that overlap, as ISO start times. */
function collisions(a: ScheduledJob, b: ScheduledJob): string[] {
  const wb = windows(b);
  const found: string[] = [];
  for (const [s1, e1] of windows(a)) {
    const hit = wb.find(([s2, e2]) => s1 < e2 && s2 < e1);
    if (hit) found.push(`${new Date(s1).toISOString()} meets ${b.name} at ${new Date(hit[0]).toISOString()}`);
  }
  return found;
}

const storeOf = (j: ScheduledJob) => j.labels["ops-baseline/backup-of"];

function drillCollisions(config: StackConfig): string[] {
  const { jobs } = planEnvironment(config);
  return jobs
    .filter((j) => j.name.endsWith("-restore-drill"))
    .flatMap((drill) =>
      jobs
        .filter((j) => j !== drill && (j.connectsTo.includes(storeOf(drill)) || storeOf(j) === storeOf(drill)))
        // The pgBackRest sidecar is not a job; the housekeeping job touches only the Pushgateway.
        .filter((j) => j.role !== "monitoring")
        .flatMap((other) => collisions(drill, other).map((c) => `${drill.name} ${c}`)),
    );
}

const stacks: Array<[string, () => StackConfig]> = [
  ...STACKS.map((s): [string, () => StackConfig] => [s, () => loadRepoStack(s)]),
  ...exampleStacks().map((e): [string, () => StackConfig] => [`examples/${e.id}`, () => loadExample(e)]),
];

for (const [id, load] of stacks) {
  test(`${id}: the restore drill never runs at the same time as another job on its data store`, () => {
    const config = load();
    assert.deepEqual(drillCollisions(config), []);
  });
}

test("the check finds a drill that meets the monthly REINDEX on a Sunday the 1st (the former 04:00 schedule)", () => {
  const config = loadRepoStack("prod");
  config.backup.restoreDrill.schedule = "0 4 * * 0";
  const found = drillCollisions(config);
  // 2027: August 1st is a Sunday.
  assert.ok(
    found.some((c) => c.startsWith("postgres-restore-drill 2027-08-01T04:00:00.000Z meets reindex")),
    found.join("\n"),
  );
});

test("the drill's CronJob requests and limits the node-local disk its scratch volumes may fill", () => {
  const config = loadRepoStack("prod");
  const drill = planEnvironment(config).jobs.find((j) => j.name === "postgres-restore-drill")!;
  const pod = cronJob(drill, { namespace: "ops-baseline-prod", commonLabels: {} }).spec.jobTemplate.spec.template.spec;
  const bytes = (q: string) => {
    const parsed = parseSize(q);
    assert.ok(parsed.ok, q);
    return parsed.value;
  };
  const scratch = (pod.volumes as K8sObject[])
    .filter((v) => v.emptyDir)
    .reduce((sum, v) => sum + bytes(v.emptyDir.sizeLimit), 0);
  assert.ok(scratch >= config.backup.pitr.drillStorage, "the drill's scratch is an emptyDir of drillStorage");
  const { requests, limits } = pod.containers[0].resources;
  assert.equal(bytes(requests["ephemeral-storage"]), scratch, "the node must have room for all of its scratch");
  assert.ok(bytes(limits["ephemeral-storage"]) > scratch, "and the limit leaves room for its logs");
});
