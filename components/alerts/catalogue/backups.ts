// Backups and restore drills, from the metrics their jobs push to the Pushgateway.
import type { AlertContext, AlertDefinition, AlertTestPlan, InputSeries } from "./types";
import { above, counter, first, gauge, inside, round, stateSeries } from "./series";

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

/** `datastore="a"` or `datastore=~"a|b"`: the PostgreSQL stores that archive WAL. */
function archiving(ctx: AlertContext): { stores: string[]; matcher: string; rpo: number } {
  const stores = ctx.archiving?.stores ?? [];
  const matcher = stores.length === 1 ? `datastore="${stores[0]}"` : `datastore=~"${stores.join("|")}"`;
  return { stores, matcher, rpo: ctx.archiving?.rpoSeconds ?? 60 };
}

function archiverSeries(store: string, values: { failedPerMinute: number; ageSeconds?: number }): InputSeries[] {
  const labels = `job="${store}-exporter",instance="${store}-exporter:9187",datastore="${store}"`;
  return [
    {
      series: `pg_stat_archiver_failed_count{${labels}}`,
      values: values.failedPerMinute > 0 ? counter(values.failedPerMinute) : gauge(3),
    },
    ...(values.ageSeconds === undefined
      ? []
      : [{ series: `pg_stat_archiver_last_archive_age{${labels}}`, values: gauge(values.ageSeconds) }]),
  ];
}

const archiverLabels = (store: string) => ({
  job: `${store}-exporter`,
  instance: `${store}-exporter:9187`,
  datastore: store,
});

/**
 * WAL archiving (pgBackRest archive-push) read from the server's own pg_stat_archiver through the
 * PostgreSQL exporter. Archiving that stops (repository keys rotated, egress blocked, the stanza
 * missing) degrades the recovery point from archiveTimeout to the last backup while pg_wal grows
 * on the data volume. The last archive's age alone is no signal (an idle server archives
 * nothing), so both read the failures that archive-push records.
 */
export const WAL_ARCHIVE_ALERTS: AlertDefinition[] = [
  {
    name: "PostgresWalArchivingFailing",
    family: "PostgresWalArchiving",
    group: "backups",
    severity: "warning",
    forSeconds: 300,
    expr: (_, ctx) => {
      const a = archiving(ctx);
      return a.stores.length === 0 ? [] : [`increase(pg_stat_archiver_failed_count{${a.matcher}}[5m]) > 0`];
    },
    summary: "{{ $labels.datastore }} fails to archive WAL",
    description:
      "archive-push of {{ $labels.datastore }} has failed again and again for 5 minutes: new WAL is not reaching the pgBackRest repository, so point-in-time recovery stops at the last archived segment, and pg_wal keeps every unarchived segment on the data volume.",
    test: (_, ctx) => {
      const store = first(archiving(ctx).stores, "postgres");
      return {
        firing: archiverSeries(store, { failedPerMinute: 1 }),
        silent: archiverSeries(store, { failedPerMinute: 0 }),
        steadyMinutes: 5,
        labels: archiverLabels(store),
      };
    },
  },
  {
    name: "PostgresWalArchiveStale",
    family: "PostgresWalArchiving",
    group: "backups",
    severity: "critical",
    forSeconds: 0,
    // A multiple of the declared recovery point (backup.pitr.archiveTimeout).
    threshold: 5,
    unit: "times backup.pitr.archiveTimeout",
    expr: (t, ctx) => {
      const a = archiving(ctx);
      return a.stores.length === 0
        ? []
        : [
            `pg_stat_archiver_last_archive_age{${a.matcher}} > ${round(t * a.rpo)} and increase(pg_stat_archiver_failed_count{${a.matcher}}[5m]) > 0`,
          ];
    },
    summary: "{{ $labels.datastore }}: the newest archived WAL is older than the recovery point allows",
    description:
      "The last WAL segment of {{ $labels.datastore }} that reached the repository is older than the threshold times backup.pitr.archiveTimeout, and archive-push keeps failing: a restore now would lose everything written since.",
    test: (t, ctx) => {
      const a = archiving(ctx);
      const store = first(a.stores, "postgres");
      return {
        firing: archiverSeries(store, { failedPerMinute: 1, ageSeconds: above(t * a.rpo) }),
        silent: archiverSeries(store, { failedPerMinute: 1, ageSeconds: inside(t * a.rpo) }),
        steadyMinutes: 5,
        labels: archiverLabels(store),
      };
    },
  },
];

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
