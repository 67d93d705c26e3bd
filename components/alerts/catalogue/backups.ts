// Backups and restore drills, from the metrics their jobs push to the Pushgateway.
import type { AlertDefinition, AlertTestPlan } from "./types";
import { first, gauge, stateSeries } from "./series";

/** `{backup=~"a|b"}`: only configured backups page; a removed one's leftover series does not. */
function configured(names: string[]): string {
  return `{backup=~"${names.join("|")}"}`;
}

/**
 * `absent()` of each configured name's metric, once the Pushgateway has been up for `window`
 * seconds: a fresh stack (or a Pushgateway that restarted and lost its data) gets the same time
 * to report as a stale backup would, instead of paging at once.
 */
function absentExpr(metric: string, names: string[], window: number): string[] {
  if (names.length === 0) return [];
  const absent = names.map((b) => `absent(${metric}{backup="${b}"})`).join(" or ");
  return [`(${absent}) and on() (time() - max(process_start_time_seconds{job="pushgateway"}) > ${window})`];
}

/** Fires for each configured name whose metric is missing altogether (never pushed, or lost). */
function absentPlan(metric: string, job: string, names: string[], window: number): AlertTestPlan {
  const minutes = 30;
  const missing = first(names, "postgres");
  const present = (n: string) => ({
    series: `${metric}{job="${job}",instance="",backup="${n}"}`,
    values: gauge(60, minutes),
  });
  const pushgateway = {
    series: `process_start_time_seconds{job="pushgateway",instance="pushgateway:9091"}`,
    values: gauge(-window - 3600, minutes),
  };
  return {
    firing: [
      pushgateway,
      ...names
        .filter((n) => n !== missing)
        .map(present)
        .concat([{ series: `${metric}{job="${job}",instance="",backup="removed-store"}`, values: gauge(60, minutes) }]),
    ],
    silent: [pushgateway, ...names.map(present)],
    steadyMinutes: 0,
    labels: { backup: missing },
  };
}

export const BACKUP_ALERTS: AlertDefinition[] = [
  {
    name: "BackupStale",
    group: "backups",
    severity: "critical",
    forSeconds: 300,
    // Each backup reports its own limit (backup.staleAfter: 26h for a daily schedule).
    expr: (_, ctx) =>
      ctx.backups.length === 0
        ? []
        : [`time() - backup_last_success_timestamp_seconds${configured(ctx.backups)} > backup_max_age_seconds`],
    summary: "No successful backup of {{ $labels.backup }} for too long",
    description:
      "The newest successful backup of {{ $labels.backup }} is older than its limit; the schedule is not running or every run fails.",
    runbook: "backupstale",
    test: (_, ctx) => {
      const at = 6; // when the test looks: `for` (5 min) + 1 min
      const maxAge = 26 * 3600;
      const labels = `job="backup",instance="",backup="${first(ctx.backups, "postgres")}"`;
      const series = (lastSuccessAgo: number) => [
        { series: `backup_last_success_timestamp_seconds{${labels}}`, values: gauge(at * 60 - lastSuccessAgo) },
        { series: `backup_max_age_seconds{${labels}}`, values: gauge(maxAge) },
      ];
      return {
        firing: series(maxAge + 3600),
        silent: series(maxAge - 3600),
        steadyMinutes: 0,
        labels: { job: "backup", backup: first(ctx.backups, "postgres") },
      };
    },
  },
  {
    name: "BackupMissing",
    group: "backups",
    severity: "critical",
    // After as long as BackupStale allows (26 h) of Pushgateway uptime without any report.
    forSeconds: 600,
    expr: (_, ctx) => absentExpr("backup_last_success_timestamp_seconds", ctx.backups, 26 * 3600),
    summary: "No backup of {{ $labels.backup }} has ever reported",
    description:
      "No successful run of the configured backup {{ $labels.backup }} is known: its job never started (image, volume, schedule) or the Pushgateway lost its data.",
    runbook: "backupmissing",
    test: (_, ctx) => absentPlan("backup_last_success_timestamp_seconds", "backup", ctx.backups, 26 * 3600),
  },
  {
    name: "RestoreDrillStale",
    group: "backups",
    severity: "warning",
    forSeconds: 300,
    expr: (_, ctx) =>
      ctx.drills.length === 0
        ? []
        : [
            `time() - restore_drill_last_success_timestamp_seconds${configured(ctx.drills)} > restore_drill_max_age_seconds`,
          ],
    summary: "No passing restore drill of {{ $labels.backup }} within its period",
    description:
      "The last restore drill of {{ $labels.backup }} that passed is older than backup.restoreDrill.staleAfter; drills are failing or not running.",
    runbook: "restoredrillstale",
    test: (_, ctx) => {
      const maxAge = 8 * 86400;
      const labels = `job="restore_drill",instance="",backup="${first(ctx.drills, "postgres")}"`;
      const series = (ago: number) => [
        { series: `restore_drill_last_success_timestamp_seconds{${labels}}`, values: gauge(6 * 60 - ago) },
        { series: `restore_drill_max_age_seconds{${labels}}`, values: gauge(maxAge) },
      ];
      return {
        firing: series(maxAge + 3600),
        silent: series(maxAge - 3600),
        steadyMinutes: 0,
        labels: { job: "restore_drill", backup: first(ctx.drills, "postgres") },
      };
    },
  },
  {
    name: "RestoreDrillMissing",
    group: "backups",
    severity: "warning",
    // After a drill period and a day (8 days) of Pushgateway uptime without a passing drill.
    forSeconds: 600,
    expr: (_, ctx) => absentExpr("restore_drill_last_success_timestamp_seconds", ctx.drills, 8 * 86400),
    summary: "No restore drill of {{ $labels.backup }} has ever passed",
    description:
      "The configured weekly restore drill of {{ $labels.backup }} has no passing run on record: it never started, always fails, or the Pushgateway lost its data.",
    runbook: "restoredrillmissing",
    test: (_, ctx) =>
      absentPlan("restore_drill_last_success_timestamp_seconds", "restore_drill", ctx.drills, 8 * 86400),
  },
  ...(
    [
      ["BackupFailed", "backup_last_attempt_success", "backup", "backupfailed"],
      ["RestoreDrillFailed", "restore_drill_last_attempt_success", "restore_drill", "restoredrillfailed"],
    ] as const
  ).map(
    ([name, metric, job, runbook]): AlertDefinition => ({
      name,
      group: "backups",
      severity: "warning",
      forSeconds: 60,
      expr: (_, ctx) => {
        const names = name === "BackupFailed" ? ctx.backups : ctx.drills;
        return names.length === 0 ? [] : [`${metric}${configured(names)} == 0`];
      },
      summary:
        name === "BackupFailed"
          ? "Backup of {{ $labels.backup }} failed"
          : "Restore drill of {{ $labels.backup }} failed",
      description:
        name === "BackupFailed"
          ? "The last backup run of {{ $labels.backup }} exited with an error; earlier backups are untouched."
          : "The restore drill of {{ $labels.backup }} failed: the repository did not restore into a throwaway server, or the copy differs from production at the restore point.",
      runbook,
      test: (_, ctx) => {
        const backup = first(name === "BackupFailed" ? ctx.backups : ctx.drills, "postgres");
        const series = `${metric}{job="${job}",instance="",backup="${backup}"}`;
        return {
          firing: stateSeries(series, 0),
          silent: stateSeries(series, 1),
          steadyMinutes: 0,
          labels: { job, backup },
        };
      },
    }),
  ),
];
