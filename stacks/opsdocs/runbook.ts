// RUNBOOK.md: incident classes, escalation path, a section per rendered alert (meaning, how to
// confirm, what to do, with commands for the stack's target), restart, restore and reset
// procedures, and a verification checklist. Hand-written text the stack attaches to a workload
// or an alert is placed in its section.
import type { ScheduledJob, Workload } from "../../components/workloads/model";
import { VICTORIALOGS_HOST } from "../../components/logging/names";
import { logsQueryCurl, serviceErrorsQuery, VICTORIALOGS_UI_PATH } from "../../components/logging/victorialogs";
import { probeCommand, shellLine } from "./commands";
import { anchor, code, cronWords, dur, join, list, sh, table, untemplate } from "./markdown";
import type { DocAlert, DocModel } from "./model";
import { header } from "./operations";

const GROUP_TITLES: Record<string, string> = {
  services: "Services",
  slo: "Service level objectives",
  datastores: "Data stores",
  hosts: "Hosts",
  monitoring: "Monitoring",
  backups: "Backups",
  logs: "Logs",
};

const GROUP_ORDER = ["services", "slo", "datastores", "hosts", "backups", "logs", "monitoring"];

/** Prometheus as the operator reaches it, or undefined when the stack has none. */
export function prometheus(m: DocModel): { setup?: string; url: string } | undefined {
  const p = m.byName.get("prometheus");
  return p ? m.cmd.reach(p, "web") : undefined;
}

export function promQuery(m: DocModel, query: string): string[] {
  const p = prometheus(m);
  if (!p) return [];
  return [
    ...(p.setup ? [p.setup] : []),
    `curl -sG '${p.url}/api/v1/query' --data-urlencode ${shellLine([`query=${query}`])}`,
  ];
}

export function firingAlerts(m: DocModel): string[] {
  const p = prometheus(m);
  if (!p) return [];
  return [...(p.setup ? [p.setup] : []), `curl -s '${p.url}/api/v1/alerts'`];
}

/**
 * The log store as the operator reaches it, and per service the LogsQL query (with its `curl`)
 * that lists the service's last lines matching the error pattern; none without a store.
 */
export function serviceLogQueries(m: DocModel): { ui: string; setup?: string; blocks: string[] } | undefined {
  const store = m.byName.get(VICTORIALOGS_HOST);
  if (!store) return undefined;
  const { setup, url } = m.cmd.reach(store, "http");
  const pattern = m.config.logging.store.alert.pattern;
  return {
    ui: `${url}${VICTORIALOGS_UI_PATH}`,
    setup,
    blocks: m.services.map((w) => {
      const query = serviceErrorsQuery(w.name, m.config.environment, pattern);
      return `For ${code(w.name)} (LogsQL: ${code(query)}):\n\n${sh([...(setup ? [setup] : []), logsQueryCurl(url, query)])}`;
    }),
  };
}

/** Health of a workload from inside it: the same check its probe makes. */
export function checkCommand(m: DocModel, w: Workload): string | undefined {
  const p = w.health.readiness ?? w.health.liveness;
  // Only images built on Debian (this repository's, and the data stores') are known to have bash.
  if (!p || (w.role !== "service" && w.role !== "datastore")) return undefined;
  return m.cmd.exec(w, probeCommand(p, w.ports));
}

function workloadsFor(m: DocModel, a: DocAlert): Workload[] {
  switch (a.group) {
    case "services":
    case "slo":
      return m.services;
    case "datastores": {
      // An engine's alert (PostgresDown, RedisDown, NatsServerDown...) is about its stores only.
      const engine = a.definition?.engine;
      return m.dataStores.filter((w) => !engine || m.config.dataStores[w.name]?.engine === engine);
    }
    case "monitoring":
      return m.workloads.filter((w) => w.role === "monitoring");
    default:
      return [];
  }
}

function perWorkload(m: DocModel, ws: Workload[], lines: (w: Workload) => string[]): string[] {
  return ws.map((w) => `For ${code(w.name)}:\n\n${sh(lines(w))}`);
}

function backupJobs(m: DocModel): ScheduledJob[] {
  return m.jobs.filter((j) => j.role === "backup" && !j.name.endsWith("-restore-drill"));
}

/** What to do, by the alert's family (its section in the former hand-written runbook). */
/** WAL archiving of the PostgreSQL stores (PostgresWalArchivingFailing, PostgresWalArchiveStale). */
function walArchivingActions(m: DocModel): string[] {
  const cmd = m.cmd;
  const stores = m.dataStores.filter((w) => m.config.dataStores[w.name]?.engine === "postgresql");
  return [
    "The server's log names why `archive-push` fails (repository unreachable, keys rotated or wrong, stanza missing or created for another cluster). Read it and ask the archiver's counters; `pg_wal` holds every segment not yet archived, so watch the data volume too:",
    ...stores.map((w) => {
      const store = m.config.dataStores[w.name];
      const user = store.engine === "postgresql" ? store.user : "postgres";
      const psql = (sql: string) => cmd.exec(w, ["psql", "-h", "127.0.0.1", "-U", user, "-c", sql]);
      return `For ${code(w.name)}:\n\n${sh([
        cmd.logs(w),
        psql(
          "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time FROM pg_stat_archiver;",
        ),
        cmd.exec(w, ["sh", "-c", 'du -sh "$PGDATA/pg_wal"']),
      ])}`;
    }),
    "Fix the cause (the repository's keys under `secrets`, the egress to it, the bucket), then check archiving end to end from the `pgbackrest` beside the server; a stanza that is missing is created by `stanza-create` (the server's entrypoint does it on every start, the backup before each run):",
    ...stores.map((w) => {
      const store = m.config.dataStores[w.name];
      // In the server's container, over its socket as the owner (local connections are trusted).
      const asOwner =
        store.engine === "postgresql" ? [`--pg1-user=${store.user}`, `--pg1-database=${store.database}`] : [];
      return `For ${code(w.name)}:\n\n${sh([
        cmd.exec(w, ["pgbackrest", "--log-level-console=info", ...asOwner, "stanza-create"]),
        cmd.exec(w, ["pgbackrest", "--log-level-console=info", ...asOwner, "check"]),
      ])}`;
    }),
    "Once a segment is archived again the alerts clear; take a backup by hand if the gap was long, so the next restore does not depend on replaying it.",
  ];
}

function actions(m: DocModel, a: DocAlert): string[] {
  const cmd = m.cmd;
  const ws = workloadsFor(m, a);
  if (a.definition?.family === "PostgresWalArchiving") return walArchivingActions(m);
  const restartBlocks = () => perWorkload(m, ws, (w) => [cmd.logs(w), ...cmd.restart(w)]);
  const logs = serviceLogQueries(m);
  const collector = m.workloads.filter((w) => w.name === "otelcol");
  const store = m.workloads.filter((w) => w.name === VICTORIALOGS_HOST);
  switch (a.definition?.runbook ?? (a.group === "slo" ? "slo" : a.name.toLowerCase())) {
    case "servicelogerrorpattern":
      return [
        `List the matching lines of the service the \`service_name\` label names, newest first (or search in the store's web UI, ${logs?.ui ?? "not deployed"}); the stack file's pattern is ${code(m.config.logging.store.alert.pattern)}.`,
        ...(logs?.blocks ?? []),
      ];
    case "servicelogsstopped":
      return [
        `Check whether the service still writes (its own output) and whether the collector reads it (its log names every file it starts or stops watching). Quiet by design? List it under \`logging.store.logsStopped.exclude\`.`,
        ...perWorkload(m, ws, (w) => [cmd.logs(w)]),
        ...perWorkload(m, collector, (w) => [cmd.health(w), cmd.logs(w)]),
      ];
    case "logcollectorbacklog":
    case "logcollectordroppingrecords":
      return [
        "The store does not take the collector's records: check that it is healthy and has disk space, then read the collector's errors (the exporter names the HTTP status or the connection error). Queued records are sent when the store answers again; dropped ones are lost.",
        ...perWorkload(m, store, (w) => [cmd.health(w), cmd.logs(w)]),
        ...perWorkload(m, collector, (w) => [cmd.logs(w)]),
      ];
    case "logstorediskfilling":
      return [
        "The store drops its oldest days itself once its data reaches `logging.store.maxDiskUsage`; a volume that fills anyway is smaller than that cap plus the store's working space. Lower `maxDiskUsage` or raise `storage` in the stack file and deploy.",
        ...perWorkload(m, store, (w) => [cmd.health(w), cmd.listVolumes]),
      ];
    case "servicedown":
    case "targetdown":
      return [
        `Find the ${cmd.unit} of the \`job\` label and read its last output; common causes are a missing setting, a failed dependency, a full disk or a crash loop.`,
        ...perWorkload(m, ws, (w) => [cmd.health(w), cmd.logs(w, true), ...cmd.restart(w)]),
        "If it crashes again at once, do not keep restarting: roll back the last change (redeploy the previous stack file revision) and follow [TROUBLESHOOTING.md](TROUBLESHOOTING.md#symptoms).",
      ];
    case "probefailing":
      return [
        "The process may still run, but its health endpoint does not answer healthy. Ask the endpoint itself; a readiness answer names the dependency that fails.",
        ...perWorkload(m, ws, (w) => [checkCommand(m, w) ?? cmd.health(w), cmd.logs(w)]),
        m.dataStores.length > 0 &&
          "If a data store is named, continue with the [data store alerts](#datastores-alerts).",
      ].filter((x): x is string => typeof x === "string");
    case "latencyp95high":
    case "errorrate":
    case "slo":
      return [
        "Look for a recent deploy or configuration change first; rolling it back is the fastest fix. Then look at the dependencies (data stores) and the service's saturation.",
        ...perWorkload(m, ws, (w) => [cmd.logs(w), cmd.usage]),
        ...m.services
          .filter((s) => m.config.services[s.name]?.faultInjection)
          .map(
            (s) =>
              `Fault injection is enabled for ${code(s.name)} in this stack file (\`faultInjection\`); it produces these errors and latency on purpose.`,
          ),
        "A restart helps only when one instance is stuck:",
        ...restartBlocks(),
      ];
    case "processmemoryhigh":
    case "memorygrowthhigh":
      return [
        "The process will be killed at its memory limit. Restart it to buy time; if the working set grew for a reason, raise `resources.limits.memory` in the stack file, otherwise treat it as a leak and compare with the previous release.",
        ...restartBlocks(),
      ];
    case "queueutilisationhigh":
    case "webhookerrorshigh":
      return ["Read the service's log for the rejected or slow requests:", ...perWorkload(m, ws, (w) => [cmd.logs(w)])];
    case "tlscertificateexpiring":
      return [
        "Renew the certificate of the probed endpoint (the `instance` label) and reload the server that serves it. Check the new expiry date:",
        sh(["openssl s_client -connect <host>:<port> -servername <host> </dev/null | openssl x509 -noout -enddate"]),
      ];
    case "cpuusage":
    case "memoryusage":
      return ["Find the biggest consumers:", sh([cmd.usage])];
    case "diskusage":
    case "diskfillingup":
      return [
        `Find what grows. The usual candidates are bounded by the stack file: container output (\`logging.containerLogs\`), the Prometheus TSDB (\`monitoring.prometheus.retentionSize\`), and backups (\`backup.retention\`).`,
        sh([
          cmd.listVolumes,
          ...(cmd.kind === "docker" ? ["docker system df -v"] : []),
          ...backupJobs(m).map((j) => cmd.runInJob(j, ["du", "-sh", "/backups"], `${j.name}-du`).join("\n")),
        ]),
      ];
    case "datastoredown":
      return [
        "Ask the server itself; if it does not start, read its log (a full disk or a damaged data directory are the usual causes). Restore from the last backup only as the last resort ([restore procedures](#restore-procedures)).",
        ...perWorkload(m, ws, (w) => [
          ...(checkCommand(m, w) ? [checkCommand(m, w)!] : []),
          cmd.logs(w, true),
          ...cmd.restart(w),
        ]),
      ];
    case "datastoreconnections":
      return [
        "Find who holds the connections, then raise `maxConnections` / `maxClients` in the stack file or lower the services' pool sizes.",
        ...ws.flatMap((w) => {
          const store = m.config.dataStores[w.name];
          if (store?.engine === "postgresql") {
            return [
              `For ${code(w.name)}:\n\n${sh([
                cmd.exec(w, [
                  "psql",
                  "-h",
                  "127.0.0.1",
                  "-U",
                  store.user,
                  "-d",
                  store.database,
                  "-c",
                  "SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC;",
                ]),
              ])}`,
            ];
          }
          return [
            `For ${code(w.name)}:\n\n${sh([cmd.exec(w, ["sh", "-c", `redis-cli -p ${store?.port ?? 6379} info clients`])])}`,
          ];
        }),
      ];
    case "configreloadfailed":
      return [
        "The running configuration is the previous one. The rendered files are checked by the tests (`promtool check config`, `amtool check-config`); fix the stack file and deploy again. Read why the reload failed:",
        ...perWorkload(
          m,
          m.workloads.filter((w) => w.name === "prometheus" || w.name === "alertmanager"),
          (w) => [cmd.logs(w)],
        ),
      ];
    case "scrapetargetmissing":
      return [
        `Service discovery finds nothing for the job: the workload is scaled to zero, not deployed, or renamed.`,
        sh(cmd.overview),
      ];
    case "backupstale":
    case "backupfailed":
      return [
        "Earlier backups are untouched: a run publishes only a complete, verified dump with its checksum and prunes only after a success. Run the backup once by hand and read its error; usual causes are an unreachable data store, a changed password or a full backup volume.",
        ...backupJobs(m).map(
          (j) => `For ${code(j.name)}:\n\n${sh([cmd.logs(j), ...cmd.runJobNow(j, `${j.name}-manual`)])}`,
        ),
      ];
    case "restoredrillfailed":
      return [
        "If the drill's log shows differences only in tables written after the backup, the backup is fine; otherwise treat the newest backup as unusable: make a new one and restore it into a scratch database ([restore procedures](#restore-procedures)).",
        ...m.jobs
          .filter((j) => j.name.endsWith("-restore-drill"))
          .map((j) => `For ${code(j.name)}:\n\n${sh([cmd.logs(j), ...cmd.runJobNow(j, `${j.name}-manual`)])}`),
      ];
    case "jobfailed":
    case "jobnotrunning":
      return [
        "Read the job's last run (`run-job` logs its exit status, or that it hit its timeout), fix the cause, then run it once by hand; a success clears both alerts. JobNotRunning without any failure means no run happens: the job's container (Docker) or CronJob is missing or suspended, or the Pushgateway lost its data.",
        ...m.jobs
          .filter((j) => j.role === "job")
          .map((j) => `For ${code(j.name)}:\n\n${sh([cmd.logs(j), ...cmd.runJobNow(j, `${j.name}-manual`)])}`),
      ];
    case "watchdog":
      return [
        "Nothing to fix while it fires: it is the heartbeat. It is a problem when the `heartbeat` receiver stops getting it; then check Prometheus and Alertmanager:",
        ...perWorkload(
          m,
          m.workloads.filter((w) => w.name === "prometheus" || w.name === "alertmanager"),
          (w) => [cmd.health(w), cmd.logs(w)],
        ),
      ];
    default:
      return ["Read the logs of the workload the alert's labels name:", sh(m.workloads.map((w) => cmd.logs(w)))];
  }
}

function alertSection(m: DocModel, a: DocAlert): string {
  const attached = m.input.attachments.alerts[a.name];
  return join(
    [...a.legacyAnchors.map(anchor), anchor(a.anchor)].join(""),
    `#### ${a.name}`,
    table(
      ["severity", "for", "threshold", "summary"],
      [[a.severity, a.for ?? "fires at once", a.threshold ?? "a state (no threshold)", untemplate(a.summary)]],
    ),
    `**Meaning.** ${untemplate(a.description)}`,
    "**Confirm.** The rule's expression, as Prometheus evaluates it; a result means the condition holds now:",
    sh(promQuery(m, a.exprs.join(" or "))),
    "**What to do.**",
    ...actions(m, a),
    attached && `**Notes for this stack.**\n\n${attached.trim()}`,
  );
}

export function renderRunbook(m: DocModel): string {
  const c = m.config;
  const cmd = m.cmd;
  const receivers = c.monitoring.alertmanager.receivers;
  const receiverText = (name: "paging" | "ticket" | "heartbeat") => {
    const r = receivers[name];
    switch (r.type) {
      case "pagerduty":
        return `PagerDuty, routing key in the secret ${code(r.routingKeySecret)}`;
      case "opsgenie":
        return `Opsgenie, API key in the secret ${code(r.apiKeySecret)}`;
      case "slack":
        return `Slack channel ${code(r.channel)}, webhook URL in the secret ${code(r.webhookUrlSecret)}`;
      case "email":
        return `e-mail to ${code(r.to)} through ${code(r.smarthost)}`;
      case "local":
        return "the local sink: alerts stay in Alertmanager's alert list (its UI, `/api/v2/alerts`, `amtool alert query`) and are sent nowhere";
    }
    if (r.url) {
      const host = /^[a-z]+:\/\/([^:/]+)/.exec(r.url)?.[1];
      const inside = host !== undefined && m.byName.has(host);
      return `webhook ${code(r.url)}${inside ? ` (a workload of this stack, \`${host}\`: nobody outside the stack is notified)` : ""}`;
    }
    if (r.urlSecret) return `webhook whose URL is the secret ${code(r.urlSecret)}`;
    return "no URL set: notifications go nowhere";
  };
  const bySeverity = (s: string) => m.alerts.filter((a) => a.severity === s).map((a) => `[${a.name}](#${a.anchor})`);
  const groups = GROUP_ORDER.filter((g) => m.alerts.some((a) => a.group === g));
  const extraGroups = [...new Set(m.alerts.map((a) => a.group))].filter((g) => !GROUP_ORDER.includes(g)).sort();
  const stack = m.input.stack;

  const workloadSections = m.workloads
    .filter((w) => w.role === "service" || w.role === "datastore")
    .map((w) =>
      join(
        anchor(`workload-${w.name}`),
        `### ${w.name} (${w.role})`,
        sh([cmd.health(w), ...(checkCommand(m, w) ? [checkCommand(m, w)!] : []), cmd.logs(w), ...cmd.restart(w)]),
        m.input.attachments.workloads[w.name] &&
          `**Notes for this stack.**\n\n${m.input.attachments.workloads[w.name].trim()}`,
      ),
    );

  const restoreSections = m.restores.map((r) => {
    const job = m.jobs.find((j) => j.name === r.job);
    if (!job) return "";
    const listing = cmd.runInJob(job, r.list, `${r.job}-list`);
    if (r.restoreNewest && r.defaultTarget && r.liveTarget) {
      const users = m.services.filter((s) => s.dependsOn.includes(r.backup));
      return join(
        anchor(`restore-${r.backup}`),
        `### ${r.backup} (${r.kind})`,
        "List the backups (newest last):",
        sh(listing),
        `Restore the newest backup into a new database ${code(r.defaultTarget)} beside the live one, and look at it before anything else:`,
        sh(cmd.runInJob(job, r.restoreNewest(r.defaultTarget), `${r.job}-restore`)),
        `To replace the live database ${code(r.liveTarget)}: stop what writes to it${users.length > 0 ? ` (${users.map((u) => code(u.name)).join(", ")})` : ""}, restore into it (\`restore-postgres\` drops and recreates every object it restores), then start them again. Writes made since the backup are lost.`,
        sh([
          ...users.map((u) => cmd.stop(u)),
          ...cmd.runInJob(job, r.restoreNewest(r.liveTarget), `${r.job}-restore-live`),
          ...users.map((u) => cmd.start(u)),
        ]),
      );
    }
    if (r.kind === "volume" && r.restoreNewest && r.defaultTarget && r.volume) {
      return join(
        anchor(`restore-${r.backup}`),
        `### ${r.backup} (${r.kind})`,
        "List the restic snapshots (oldest first):",
        sh(listing),
        `Restore the newest snapshot into the empty directory ${code(r.defaultTarget)} and look at it (\`restic-restore <dir> <snapshot id>\` for an older one):`,
        sh(cmd.runInJob(job, r.restoreNewest(r.defaultTarget), `${r.job}-restore`)),
        `To put it back: stop ${code(r.volume.service)}, copy the restored files into its volume ${code(r.volume.name)} (the backup job mounts it read-only), start it again.`,
      );
    }
    return join(
      anchor(`restore-${r.backup}`),
      `### ${r.backup} (${r.kind})`,
      "List the backups (newest last):",
      sh(listing),
      r.kind === "redis"
        ? "There is no restore script for Redis snapshots. By hand: stop the data store, copy the chosen `.rdb` file over `dump.rdb` in its data volume, start it again."
        : "",
    );
  });

  return join(
    header(m, "Runbook", "What to do when an alert fires or something breaks."),
    "## First look",
    sh([...cmd.overview, ...firingAlerts(m)]),
    "## Incident classes",
    c.monitoring.enabled
      ? table(
          ["class", "severity", "who hears of it", "alerts"],
          [
            [
              "page",
              "critical",
              `receiver \`paging\`: ${receiverText("paging")}`,
              bySeverity("critical").join(", ") || "none",
            ],
            [
              "ticket",
              "warning",
              `receiver \`ticket\`: ${receiverText("ticket")}`,
              bySeverity("warning").join(", ") || "none",
            ],
            [
              "record",
              "info",
              "nobody (shown in Prometheus and Alertmanager only)",
              bySeverity("info").join(", ") || "none",
            ],
          ],
        )
      : "Monitoring is disabled in this stack (`monitoring.enabled: false`): no alert reaches anyone.",
    c.monitoring.enabled &&
      "A critical alert mutes the warning of the same family on the same target (Alertmanager inhibition), so the page is the only notification.",
    "## Escalation path",
    c.monitoring.enabled &&
      list([
        `Alertmanager groups alerts for ${dur(c.monitoring.alertmanager.groupWait)} before the first notification, sends changes to a group every ${dur(c.monitoring.alertmanager.groupInterval)}, and repeats an unresolved one every ${dur(c.monitoring.alertmanager.repeatInterval)}.`,
        `Critical: ${receiverText("paging")}. Warning: ${receiverText("ticket")}.`,
        `Heartbeat: the always-firing \`Watchdog\` goes to ${receiverText("heartbeat")} every minute; whoever watches that receiver must act when it stops.`,
        "Beyond these receivers the stack defines no people, rota or timings: who answers a page and whom they call next is the team's on-call policy.",
      ]),
    !c.monitoring.enabled && "No receivers: monitoring is disabled in this stack.",
    anchor("alerts"),
    "## Alerts",
    m.alerts.length === 0
      ? "No alert rules are rendered for this stack."
      : `One section per alert rule this stack renders (${m.alerts.length}), grouped by what they watch. Each alert's \`runbook_url\` is ${code(`${c.alerts.runbookBaseUrl}#<alert name in lower case>`)}.`,
    ...[...groups, ...extraGroups].flatMap((g) => [
      anchor(`${g}-alerts`),
      `### ${GROUP_TITLES[g] ?? g}`,
      ...m.alerts.filter((a) => a.group === g).map((a) => alertSection(m, a)),
    ]),
    anchor("restart-procedures"),
    "## Restart procedures",
    `Each block: the state the target sees, the same check the health probe makes, the last output, then a restart that waits until the ${cmd.unit} is healthy again.`,
    ...workloadSections,
    "Monitoring workloads restart the same way:",
    sh(m.workloads.filter((w) => w.role === "monitoring").flatMap((w) => cmd.restart(w))),
    anchor("restore-procedures"),
    "## Restore procedures",
    m.restores.length === 0 ? "Nothing is backed up in this stack." : undefined,
    ...restoreSections,
    anchor("reset"),
    "## Full reset",
    "**This deletes every piece of data of the stack: databases, metrics, backups.** Use it only for an environment whose data does not matter, or after copying the backups elsewhere.",
    sh([
      `npm run destroy -- ${stack}`,
      cmd.kind === "docker"
        ? `docker volume rm ${cmd.volumes.join(" ")}`
        : `kubectl -n ${c.target.kind === "kubernetes" ? c.target.namespace : ""} delete persistentvolumeclaims ${cmd.volumes.join(" ")}`,
      `npm run up -- ${stack}`,
    ]),
    anchor("verification"),
    "## Verification checklist",
    "After any restart, restore or deploy:",
    list(
      [
        `Every ${cmd.unit} is running and healthy: ${code(cmd.overview[0])}.`,
        ...m.services.map(
          (s) => `${code(s.name)} answers its own health check: ${code(checkCommand(m, s) ?? cmd.health(s))}.`,
        ),
        c.monitoring.enabled && "Prometheus has every target up (the query returns nothing):",
        c.monitoring.enabled && "No alert fires except `Watchdog` (the list has only it):",
      ].filter((x): x is string => typeof x === "string"),
    ),
    c.monitoring.enabled && sh([...promQuery(m, "up == 0"), ...firingAlerts(m).slice(prometheus(m)?.setup ? 1 : 0)]),
    m.restores.some((r) => r.restoreNewest) &&
      `After a restore: the restored database has the tables and row counts you expect, and the next scheduled backup (${cronWords(c.backup.schedule)}) succeeds.`,
  );
}
