// TROUBLESHOOTING.md: a symptom -> cause -> action table, diagnostic commands for the stack's
// target, and the known limitations of this stack.
import { code, join, list, sh, table } from "./markdown";
import type { DocModel } from "./model";
import { header } from "./operations";
import { checkCommand, firingAlerts, prometheus, promQuery, serviceLogQueries } from "./runbook";

export function renderTroubleshooting(m: DocModel): string {
  const c = m.config;
  const cmd = m.cmd;
  const alertLink = (name: string) =>
    m.alerts.some((a) => a.name === name) ? `[${name}](RUNBOOK.md#${name.toLowerCase()})` : undefined;
  const dockerOnly = cmd.kind === "docker";
  const rows: Array<[string, string, string] | false> = [
    [
      `A ${cmd.unit} restarts again and again`,
      "the process exits at start: a missing setting or secret, a dependency that does not answer, a port taken",
      `read the previous output (${code(cmd.logs(m.services[0] ?? m.workloads[0], true))}); fix the stack file and deploy again`,
    ],
    [
      `A ${cmd.unit} is running but never healthy`,
      "its readiness check fails: a dependency is down, or the check's port or path does not match the process",
      `run the check by hand (see [diagnostic commands](#diagnostic-commands)); a dependency named in the answer comes first`,
    ],
    [
      `A ${cmd.unit} is killed with exit code 137 (OOM)`,
      "it reached its memory limit",
      `raise \`resources.limits.memory\` for it in the stack file if the working set grew; otherwise ${alertLink("ProcessMemoryHigh") ?? "look for a leak"}`,
    ],
    dockerOnly && [
      '`npm run up` fails with "port is already allocated"',
      "another process on the host holds a published port",
      "stop that process, or change the `hostPort` in the stack file",
    ],
    !dockerOnly && [
      "Pods stay `Pending`",
      "no node has the requested CPU or memory free, or a claim cannot bind (storage class)",
      `${code(`kubectl -n ${c.target.kind === "kubernetes" ? c.target.namespace : ""} describe pod <pod>`)} shows the reason under Events`,
    ],
    !dockerOnly && [
      "A pod cannot reach another workload",
      "the default-deny NetworkPolicy: only declared `dependsOn` flows are allowed",
      "add the dependency to the service's `dependsOn` in the stack file and deploy",
    ],
    m.dataStores.length > 0 && [
      "A service reports not ready and its log names a data store",
      "the data store is down, its password changed, or it refuses connections (limit reached)",
      [alertLink("PostgresDown"), alertLink("RedisDown"), alertLink("PostgresConnectionsWarning")]
        .filter(Boolean)
        .join(", ") || "check the data store's own health",
    ],
    c.monitoring.enabled && [
      "An alert fires in Prometheus but nobody is notified",
      "Alertmanager is down, the receiver URL is wrong or unreachable, or the alert is `info` (recorded only)",
      "check Alertmanager's log and the receiver configuration; see [escalation path](RUNBOOK.md#escalation-path)",
    ],
    c.monitoring.enabled && [
      "No notifications at all, including the heartbeat",
      "Prometheus or Alertmanager is down",
      alertLink("Watchdog") ?? "restart Prometheus and Alertmanager",
    ],
    c.monitoring.enabled && [
      "A job is missing in Prometheus targets",
      "the workload is not running or its metrics port does not answer",
      alertLink("ScrapeTargetMissing") ?? "check the workload",
    ],
    m.restores.length > 0 && [
      "No new backup files",
      "the job's schedule is not running, or every run fails",
      alertLink("BackupStale") ?? "run the backup by hand and read its output",
    ],
    m.restores.length > 0 && [
      "`restore-postgres` refuses a file",
      "its checksum file is missing or does not match: the file is incomplete or damaged",
      "restore an earlier backup; never restore a file without a matching checksum",
    ],
    [
      "The disk fills",
      "container output, Prometheus data or backups grow within their caps but the disk is smaller than their sum",
      `${alertLink("DiskUsageWarning") ?? "free space"}; compare the caps in [OPERATIONS.md](OPERATIONS.md#resource-envelope) with the disk`,
    ],
    c.services &&
      Object.values(c.services).some((s) => s.faultInjection) && [
        "Errors or latency with no visible cause",
        "`faultInjection` is enabled for a service in this stack file",
        "remove `faultInjection` from the service and deploy",
      ],
  ];

  const logs = serviceLogQueries(m);
  const diag = [
    "Overview of everything:",
    sh([...cmd.overview, cmd.listVolumes, cmd.usage]),
    ...m.workloads.map((w) =>
      join(
        `${code(w.name)} (${w.role}):`,
        sh([cmd.health(w), ...(checkCommand(m, w) ? [checkCommand(m, w)!] : []), cmd.logs(w)]),
      ).trimEnd(),
    ),
    m.jobs.length > 0 && "Scheduled jobs (the output of the latest runs):",
    m.jobs.length > 0 && sh(m.jobs.map((j) => cmd.logs(j))),
    logs &&
      `The log store: each service's last lines matching the error pattern, newest first (LogsQL; the same queries work in its web UI, ${logs.ui}):`,
    ...(logs?.blocks ?? []),
    prometheus(m) && "Prometheus: targets that are down, and the alerts that fire:",
    prometheus(m) && sh([...promQuery(m, "up == 0"), ...firingAlerts(m).slice(prometheus(m)?.setup ? 1 : 0)]),
  ].filter((x): x is string => typeof x === "string");

  const limitations = [
    m.workloads.some((w) => w.replicas === 1) &&
      `Single instances: ${m.workloads
        .filter((w) => w.replicas === 1)
        .map((w) => code(w.name))
        .join(", ")} run once; a restart of one is an outage of it.`,
    m.restores.some((r) => !r.restoreNewest) &&
      `No restore script for ${m.restores
        .filter((r) => !r.restoreNewest)
        .map((r) => code(r.backup))
        .join(", ")} (see [RUNBOOK.md](RUNBOOK.md#restore-procedures)).`,
    c.monitoring.enabled && !c.monitoring.grafana.enabled && "No dashboards: Grafana is off in this stack.",
    !c.monitoring.enabled && "No monitoring or alerts in this stack.",
    c.target.kind === "kubernetes" &&
      c.target.renderYamlToDirectory &&
      `This stack file renders manifests to ${code(c.target.renderYamlToDirectory)} instead of deploying; the \`kubectl\` commands apply once the stack is deployed to a cluster.`,
    c.target.kind === "kubernetes" &&
      "There is no Ingress: services are ClusterIP; reach them with `kubectl port-forward` as shown.",
    c.target.kind === "kubernetes" &&
      "`kubectl top` needs the cluster's metrics-server, which this stack does not install.",
    "Health checks run from inside a workload use bash's `/dev/tcp`; images without bash (some upstream monitoring images) are checked from Prometheus instead.",
    "Alert thresholds are the stack's (catalogue defaults plus `alerts.overrides`); a threshold that does not suit the system is changed there, not in Prometheus.",
  ].filter((x): x is string => typeof x === "string");

  return join(
    header(m, "Troubleshooting", "From a symptom to its cause and the action that fixes it."),
    '<a id="symptoms"></a>',
    "## Symptom, cause, action",
    table(
      ["symptom", "likely cause", "action"],
      rows.filter((r): r is [string, string, string] => Array.isArray(r)),
    ),
    '<a id="diagnostic-commands"></a>',
    "## Diagnostic commands",
    ...diag,
    '<a id="known-limitations"></a>',
    "## Known limitations",
    list(limitations),
  );
}
