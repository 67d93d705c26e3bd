// Which backups survive pruning: the newest `keepLast`, plus the newest backup of each of the
// last `keepDaily` days, `keepWeekly` ISO weeks and `keepMonthly` months that have one (the
// scheme of docker-postgres-backup-local's KEEP_DAYS/WEEKS/MONTHS and restic's --keep-*).
// The rule itself lives once, in the backup image (images/backup/bin/lib.sh, `prune`); this is the
// tests' independent oracle of it, run beside the script on the same synthetic history.
import type { RetentionConfig } from "../../components/backup/config";

/** Backup file names carry their time: <name>-YYYYMMDDTHHMMSSZ.<ext>. */
export function backupTime(file: string): Date | undefined {
  const m = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\./.exec(file);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
  const week = Math.ceil(((d.getTime() - yearStart.getTime()) / 86400000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

/** The files to keep, newest first. Files without a time in their name are kept untouched. */
export function backupsToKeep(files: string[], retention: RetentionConfig): string[] {
  const dated = files
    .map((file) => ({ file, time: backupTime(file) }))
    .filter((f): f is { file: string; time: Date } => f.time !== undefined)
    .sort((a, b) => b.time.getTime() - a.time.getTime() || b.file.localeCompare(a.file));
  const keep = new Set<string>(files.filter((f) => backupTime(f) === undefined));
  const buckets: Array<[number, (d: Date) => string]> = [
    [retention.keepDaily, (d) => d.toISOString().slice(0, 10)],
    [retention.keepWeekly, isoWeek],
    [retention.keepMonthly, (d) => d.toISOString().slice(0, 7)],
  ];
  dated.slice(0, Math.max(1, retention.keepLast)).forEach((f) => keep.add(f.file));
  for (const [count, key] of buckets) {
    const seen = new Set<string>();
    for (const f of dated) {
      const k = key(f.time);
      if (seen.has(k)) continue;
      seen.add(k);
      if (seen.size <= count) keep.add(f.file);
    }
  }
  return dated.filter((f) => keep.has(f.file)).map((f) => f.file);
}
