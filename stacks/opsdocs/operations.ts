// OPERATIONS.md: what runs, how it is deployed and what is not supported, entry points, health
// signals, the resource envelope, jobs, data and backups, log retention, start and stop, and what
// the stack does not guarantee. Every fact comes from the model.
import { jobOverdueSeconds } from "../../components/jobs/config";
import { orderByDependencies } from "../../components/targets/docker/containers";
import type { ContainerSpec, Probe, Workload } from "../../components/workloads/model";
import { shellLine } from "./commands";
import { anchor, code, cpu, cronInterval, cronWords, dur, join, list, mem, sh, table } from "./markdown";
import type { DocModel } from "./model";

export function header(m: DocModel, title: string, about: string): string {
  const c = m.config;
  const where =
    c.target.kind === "docker"
      ? `the Docker engine at ${code(c.target.host)}`
      : `the Kubernetes namespace ${code(c.target.namespace)}${c.target.context ? ` (context ${code(c.target.context)})` : " (the current kubectl context)"}`;
  return join(
    `# ${title}: stack \`${m.input.stack}\``,
    `${about} Environment \`${c.environment}\` on ${where}.`,
    `Generated from ${code(m.input.stackFile)} and the plan the program deploys, by ${code(m.input.regenerate)}; edit the stack file (or the runbook text it attaches), not this file. Companions: [OPERATIONS.md](OPERATIONS.md), [RUNBOOK.md](RUNBOOK.md), [TROUBLESHOOTING.md](TROUBLESHOOTING.md).`,
  ).trimEnd();
}

export function placement(m: DocModel, w: Workload): string {
  if (m.cmd.kind === "docker") return w.replicas > 1 ? `${w.replicas} containers` : "container";
  return w.stateful ? "StatefulSet" : "Deployment";
}

export function probeText(p: Probe | undefined, w: Workload): string {
  if (!p) return "none";
  const timing = `every ${dur(p.periodSeconds)}, ${p.failureThreshold} failures`;
  switch (p.check.type) {
    case "http": {
      const port = w.ports.find((x) => x.name === (p.check as { port: string }).port)?.containerPort;
      return `HTTP GET ${p.check.path} on ${port} (${timing})`;
    }
    case "tcp": {
      const port = w.ports.find((x) => x.name === (p.check as { port: string }).port)?.containerPort;
      return `TCP ${port} (${timing})`;
    }
    case "exec":
      return `${code(shellLine(p.check.command))} (${timing})`;
  }
}

interface EnvelopeRow {
  name: string;
  kind: string;
  count: number;
  spec: ContainerSpec;
}

function envelopeRows(m: DocModel): EnvelopeRow[] {
  return [
    ...m.workloads.flatMap((w) => [
      { name: w.name, kind: w.role, count: w.replicas, spec: w },
      ...w.sidecars.map((s) => ({ name: `${w.name}/${s.name}`, kind: "sidecar", count: w.replicas, spec: s })),
    ]),
    ...m.jobs.map((j) => ({ name: j.name, kind: "job", count: 1, spec: j as ContainerSpec })),
  ];
}

type Block = string | undefined | false;

export function renderOperations(m: DocModel): string {
  return join(
    header(m, "Operations", "How this stack runs when nothing is wrong, and where its limits are."),
    ...whatRuns(m),
    ...deploymentModes(m),
    ...entryPoints(m),
    ...healthSignals(m),
    ...resourceEnvelope(m),
    ...scheduledJobs(m),
    ...dataStoresAndBackups(m),
    ...logRetention(m),
    ...startupAndShutdown(m),
    ...nonGuarantees(m),
  );
}

function whatRuns(m: DocModel): Block[] {
  return [
    "## What runs",
    table(
      ["workload", "role", "placed as", "replicas", "image", "ports", "depends on"],
      m.workloads.map((w) => [
        w.name,
        w.role,
        placement(m, w),
        String(w.replicas),
        code(w.image.ref),
        w.ports.map((p) => `${p.name} ${p.containerPort}${p.hostPort ? ` (host ${p.hostPort})` : ""}`).join(", ") ||
          "none",
        w.dependsOn.join(", ") || "none",
      ]),
    ),
  ];
}

function deploymentModes(m: DocModel): Block[] {
  const c = m.config;
  const stack = m.input.stack;
  const single = m.workloads.filter((w) => w.replicas === 1);
  const statefulSingles = m.workloads.filter((w) => w.role === "datastore");
  const natsStores = Object.keys(c.dataStores)
    .filter((n) => c.dataStores[n].engine === "nats")
    .sort();
  const grafana = c.monitoring.enabled && c.monitoring.grafana.enabled;
  const supported =
    c.target.kind === "docker"
      ? [
          `One Docker engine (${code(c.target.host)}): a private bridge network, one container per replica, named volumes for data. Published ports bind to ${code(c.target.bindAddress)}.`,
          `Deploy and update: ${code(`npm run up -- ${stack}`)} (it builds the local images first); review first with ${code(`npm run preview -- ${stack}`)}.`,
          `Remove: ${code(`npm run destroy -- ${stack}`)} removes the containers and the network and keeps the named volumes (\`retainOnDelete\`).`,
        ]
      : [
          `One Kubernetes namespace, ${code(c.target.namespace)}, enforcing the \`restricted\` Pod Security Standard: Deployments for stateless services, StatefulSets with retained claims for data, CronJobs for scheduled jobs, default-deny NetworkPolicies.`,
          c.target.renderYamlToDirectory
            ? `This stack file sets \`renderYamlToDirectory: ${c.target.renderYamlToDirectory}\`: ${code(`npm run up -- ${stack}`)} writes the manifests there instead of applying them to a cluster. To deploy, remove that key and set \`kubernetes:context\`.`
            : `Deploy and update: ${code(`npm run up -- ${stack}`)}; review first with ${code(`npm run preview -- ${stack}`)}.`,
          `Remove: ${code(`npm run destroy -- ${stack}`)}; the StatefulSets' claims are retained (\`persistentVolumeClaimRetentionPolicy: Retain\`).`,
        ];
  const notSupported = [
    single.length > 0 &&
      `High availability for ${single.map((w) => code(w.name)).join(", ")}: one replica each, so restarting one is an outage of it.`,
    statefulSingles.length > 0 &&
      `Replication or automatic failover of data stores (${statefulSingles.map((w) => code(w.name)).join(", ")}): each is a single instance; recovery from loss is a restore from the last backup.`,
    natsStores.length > 0 &&
      `Backups of NATS JetStream's store (${natsStores.map(code).join(", ")}): none are made, so a lost volume loses its streams.`,
    c.target.kind === "docker" && "More than one host: the Docker target places everything on one engine.",
    "Multi-region or multi-cluster operation.",
    c.target.kind === "docker"
      ? "Zero-downtime updates: an update replaces containers, so each replaced workload is briefly down."
      : "Zero-downtime updates of data stores: a StatefulSet with one replica is down while its pod is replaced (Deployments with two or more replicas roll one pod at a time, guarded by a PodDisruptionBudget).",
    !c.monitoring.enabled && "Monitoring and alerting: `monitoring.enabled` is false in this stack.",
    c.monitoring.enabled &&
      !grafana &&
      "Dashboards: Grafana is off in this stack (`monitoring.grafana.enabled: false`).",
  ].filter((x): x is string => typeof x === "string");

  return [
    "## Supported deployment modes",
    list(supported),
    `The same program places a stack on ${c.target.kind === "docker" ? "Kubernetes" : "a Docker engine"} too (\`target.kind: ${c.target.kind === "docker" ? "kubernetes" : "docker"}\`); that is another stack file with its own documents, not a mode of this one.`,
    "### Not supported",
    list(notSupported),
  ];
}

function entryPoints(m: DocModel): Block[] {
  const cmd = m.cmd;
  const published = m.workloads.flatMap((w) =>
    w.ports.filter((p) => p.hostPort !== undefined || cmd.kind === "kubernetes").map((p) => ({ w, p })),
  );
  const entry =
    published.length === 0
      ? "Nothing is published outside the target."
      : table(
          ["workload", "port", "how to reach it"],
          published.map(({ w, p }) => {
            const r = cmd.reach(w, p.name);
            return [
              w.name,
              `${p.name} ${p.containerPort}/${p.protocol}`,
              r.setup ? `${code(r.setup)} then ${r.url}` : r.url,
            ];
          }),
        );

  return ["## Entry points", entry];
}

function healthSignals(m: DocModel): Block[] {
  const c = m.config;
  const cmd = m.cmd;
  const health = table(
    ["workload", "liveness", "readiness", "startup", "metrics"],
    m.workloads.map((w) => [
      w.name,
      probeText(w.health.liveness, w),
      probeText(w.health.readiness, w),
      probeText(w.health.startup, w),
      w.metrics.length > 0 ? w.metrics.map((x) => `${x.path} (job \`${x.job ?? w.name}\`)`).join(", ") : "none",
    ]),
  );

  return [
    "## Health signals",
    `What the ${cmd.kind === "docker" ? "Docker healthcheck (the readiness check, with the startup check's budget as start period)" : "kubelet probes"} and Prometheus watch:`,
    health,
    c.monitoring.enabled &&
      list([
        `Prometheus scrapes every metrics endpoint above every ${dur(c.monitoring.scrapeInterval)} and evaluates the alert rules every ${dur(c.monitoring.evaluationInterval)}; the alerts and their thresholds are in [RUNBOOK.md](RUNBOOK.md#alerts).`,
        c.monitoring.exporters.blackbox.enabled
          ? "The blackbox exporter probes each service's HTTP health endpoint from outside the service (`ProbeFailing`)."
          : "No blackbox probes (the exporter is disabled).",
        "The `Watchdog` alert always fires and reaches the `heartbeat` receiver; when it stops arriving there, alerting itself is broken.",
      ]),
  ];
}

function resourceEnvelope(m: DocModel): Block[] {
  const c = m.config;
  const cmd = m.cmd;
  const rows = envelopeRows(m);
  const sum = (rs: EnvelopeRow[], f: (r: ContainerSpec["resources"]) => number) =>
    rs.reduce((t, r) => t + f(r.spec.resources) * r.count, 0);
  const longRunning = rows.filter((r) => r.kind !== "job");
  const jobs = rows.filter((r) => r.kind === "job");
  const totals = (label: string, rs: EnvelopeRow[]) => [
    `**${label}**`,
    "",
    "",
    cpu(sum(rs, (r) => r.cpuRequestMillicores)),
    cpu(sum(rs, (r) => r.cpuLimitMillicores)),
    mem(sum(rs, (r) => r.memoryRequestBytes)),
    mem(sum(rs, (r) => r.memoryLimitBytes)),
  ];
  const logCap = c.logging.containerLogs.maxSize * c.logging.containerLogs.maxFiles;
  const containerCount = rows.reduce((t, r) => t + r.count, 0);
  const volumeRows = [
    ...m.workloads.flatMap((w) =>
      w.volumes
        .filter((v) => v.persistent && !v.sharedFrom)
        .map((v) => [w.name, v.name, v.mountPath, mem(v.sizeBytes)]),
    ),
    ...m.jobs.flatMap((j) =>
      j.volumes
        .filter((v) => v.persistent && !v.sharedFrom)
        .map((v) => [j.name, v.name, v.mountPath, mem(v.sizeBytes)]),
    ),
  ];
  return [
    "## Resource envelope",
    `Requests and limits per ${cmd.unit}, times the replica count in the totals. On ${cmd.kind === "docker" ? "Docker the limit is enforced (`--memory`, `--cpus`); requests are not reserved" : "Kubernetes requests are reserved on a node and limits enforced"}.`,
    table(
      ["what", "kind", "count", "CPU request", "CPU limit", "memory request", "memory limit"],
      [
        ...rows.map((r) => [
          r.name,
          r.kind,
          String(r.count),
          cpu(r.spec.resources.cpuRequestMillicores),
          cpu(r.spec.resources.cpuLimitMillicores),
          mem(r.spec.resources.memoryRequestBytes),
          mem(r.spec.resources.memoryLimitBytes),
        ]),
        totals("total, long-running", longRunning),
        totals(
          cmd.kind === "docker"
            ? "total, job containers (always running under the scheduler)"
            : "total, jobs (only while one runs)",
          jobs,
        ),
      ],
    ),
    volumeRows.length > 0 && "Persistent storage:",
    volumeRows.length > 0 && table(["owner", "volume", "mounted at", "size"], volumeRows),
    `Container output is capped at ${mem(c.logging.containerLogs.maxSize)} x ${c.logging.containerLogs.maxFiles} files per container (${mem(logCap)} each, ${mem(logCap * containerCount)} for the ${containerCount} containers).`,
  ];
}

function scheduledJobs(m: DocModel): Block[] {
  const c = m.config;
  const cmd = m.cmd;
  return [
    "## Scheduled jobs",
    m.jobs.length === 0
      ? "None."
      : table(
          ["job", "when", "runs", "time limit", "retries"],
          m.jobs.map((j) => [
            j.name,
            cronWords(j.schedule),
            code([...(j.command ?? []), ...(j.args ?? [])].join(" ")),
            dur(j.activeDeadlineSeconds),
            String(j.backoffLimit),
          ]),
        ),
    Object.keys(c.jobs).length > 0 &&
      `The stack's own jobs (\`jobs\`) report each run to the Pushgateway: [JobFailed](RUNBOOK.md#jobfailed) when a run fails, [JobNotRunning](RUNBOOK.md#jobnotrunning) when the last success is older than the longest gap of the schedule plus the timeout: ${jobOverdueSeconds(
        c.jobs,
      )
        .map((j) => `${code(j.name)} ${dur(j.overdueSeconds)}`)
        .join(", ")}.`,
    cmd.kind === "docker"
      ? "On Docker each job is a long-running container whose scheduler starts the command on time and never runs two at once."
      : "On Kubernetes each job is a CronJob (`concurrencyPolicy: Forbid`, time zone UTC).",
  ];
}

function dataStoresAndBackups(m: DocModel): Block[] {
  const c = m.config;
  const dataRows = m.restores.map((r) => {
    const interval = cronInterval(c.backup.schedule);
    return [
      r.backup,
      r.kind,
      cronWords(c.backup.schedule),
      `up to ${interval} of changes (one schedule interval), more if runs fail`,
      r.restoreNewest ? `[scripted](RUNBOOK.md#restore-${r.backup})` : `[by hand](RUNBOOK.md#restore-${r.backup})`,
    ];
  });
  return [
    "## Data stores and backups",
    m.dataStores.length === 0
      ? "No data stores."
      : table(
          ["data store", "engine", "storage"],
          m.dataStores.map((w) => [
            w.name,
            c.dataStores[w.name]?.engine ?? "",
            mem(w.volumes.find((v) => v.persistent)?.sizeBytes ?? 0),
          ]),
        ),
    m.restores.length > 0 &&
      table(
        ["backup of", "kind", "schedule", "recovery point (data that can be lost)", "restore"],
        [...dataRows, ...pitrRows(m)],
      ),
    pitrStores(m).length > 0 && pitrText(m),
    m.restores.length > 0 &&
      `Backups are kept on ${code(mem(c.backup.storage))} of backup storage per job: the newest ${c.backup.retention.keepLast}, plus the newest of each of the last ${c.backup.retention.keepDaily} days, ${c.backup.retention.keepWeekly} weeks and ${c.backup.retention.keepMonthly} months; pruning runs only after a successful backup. A run longer than ${dur(c.backup.timeout)} is killed. \`BackupStale\` fires when the newest success is older than ${dur(c.backup.staleAfter)}.${c.backup.restoreDrill.enabled ? ` A restore drill restores the newest PostgreSQL backup into a scratch database ${cronWords(c.backup.restoreDrill.schedule)}.` : " No restore drill runs (`backup.restoreDrill.enabled: false`)."}`,
  ];
}

function logRetention(m: DocModel): Block[] {
  const c = m.config;
  const cmd = m.cmd;
  const logFileServices = m.workloads.filter((w) => w.logFiles.length > 0);
  const f = c.logging.files;

  return [
    "## Log retention",
    list(
      [
        `Container output (stdout/stderr): ${c.logging.containerLogs.driver} driver${cmd.kind === "kubernetes" ? " settings apply on Docker; on Kubernetes the kubelet's rotation applies" : ""}, ${mem(c.logging.containerLogs.maxSize)} x ${c.logging.containerLogs.maxFiles} files per container; older output is gone.`,
        logFileServices.length > 0
          ? `Files services write (${logFileServices.flatMap((w) => w.logFiles.map((l) => code(`${w.name}:${l}`))).join(", ")}): rotated by a logrotate sidecar ${f.frequency === "size" ? "by size" : f.frequency}, and at ${mem(f.maxSize)}; ${f.rotate} rotations kept${f.compress ? ", compressed" : ""}.`
          : "No service writes log files of its own.",
        c.backup.volumes.length > 0 &&
          `Archived volumes (${c.backup.volumes.map((v) => code(`${v.service}/${v.volume}`)).join(", ")}) are kept with the backup retention above.`,
        c.monitoring.enabled &&
          `Metrics: Prometheus keeps ${dur(c.monitoring.prometheus.retentionTime)} or ${mem(c.monitoring.prometheus.retentionSize)}, whichever is reached first.`,
      ].filter((x): x is string => typeof x === "string"),
    ),
  ];
}

function startupAndShutdown(m: DocModel): Block[] {
  const cmd = m.cmd;
  const stack = m.input.stack;
  const order = orderByDependencies(m.workloads);
  return [
    "## Startup and shutdown",
    cmd.kind === "docker"
      ? `${code(`npm run up -- ${stack}`)} creates the containers in this order, each after the ones it depends on report healthy:`
      : "Kubernetes starts everything at once and restarts what fails; a pod receives traffic only when its readiness probe passes. The dependency order, for a manual start:",
    order
      .map((w, i) => `${i + 1}. ${code(w.name)}${w.dependsOn.length > 0 ? ` (after ${w.dependsOn.join(", ")})` : ""}`)
      .join("\n"),
    "Stop everything without removing anything, dependents first:",
    sh([...order].reverse().map((w) => cmd.stop(w))),
    "Start again in the order above:",
    sh(order.map((w) => cmd.start(w))),
    cmd.kind === "docker" &&
      `The job containers (${m.jobs.map((j) => code(j.name)).join(", ")}) are independent of that order; stopping them only pauses the schedule.`,
  ];
}

function nonGuarantees(m: DocModel): Block[] {
  const c = m.config;
  const noPitr = m.restores.filter((r) => r.kind !== "postgresql");
  return [
    anchor("non-guarantees"),
    "## What this stack does not guarantee",
    list(
      [
        "No response-time or uptime objective beyond the alert rules: an SLO alert tells you the budget is burning; it does not keep it from burning.",
        noPitr.length > 0 &&
          `No point-in-time recovery for ${noPitr.map((r) => code(r.backup)).join(", ")}: a restore returns each to its last successful backup; later writes are lost.`,
        m.restores.some((r) => !r.restoreNewest) &&
          `No scripted restore for ${m.restores
            .filter((r) => !r.restoreNewest)
            .map((r) => code(r.backup))
            .join(
              ", ",
            )}: the backups are verified files; putting one back is a manual step (see [RUNBOOK.md](RUNBOOK.md#restore-procedures)).`,
        m.restores.length > 0 && backupPlacement(m),
        c.monitoring.enabled &&
          "Alert delivery depends on Prometheus, Alertmanager and the receivers; the Watchdog heartbeat is the only signal that this chain works.",
        "Secrets are only as safe as the stack's secrets provider and its passphrase or key.",
      ].filter((x): x is string => typeof x === "string"),
    ),
  ];
}

/** The PostgreSQL stores pgBackRest archives (every backed-up PostgreSQL store). */
function pitrStores(m: DocModel): string[] {
  return m.restores.filter((r) => r.kind === "postgresql").map((r) => r.backup);
}

function pitrRepository(m: DocModel): string {
  const r = m.config.backup.pitr.repository;
  return r.type === "s3"
    ? `the S3 bucket ${code(r.bucket)} at ${code(r.endpoint)}, outside the target`
    : `a ${mem(r.storage)} volume of the target`;
}

function pitrRows(m: DocModel): string[][] {
  const p = m.config.backup.pitr;
  return pitrStores(m).map((store) => [
    `${store}-pitr`,
    "pgBackRest",
    `WAL continuously; full ${cronWords(p.fullSchedule)}, differential ${cronWords(p.diffSchedule)}`,
    `up to ${dur(p.archiveTimeout)} of changes (\`backup.pitr.archiveTimeout\`), more while archiving fails (PostgresWalArchiving alerts)`,
    "to a point in time with `pgbackrest-restore`, by hand",
  ]);
}

function pitrText(m: DocModel): string {
  const p = m.config.backup.pitr;
  const kept =
    p.retention.fullType === "count" ? `${p.retention.full} full backups` : `${p.retention.full} days of full backups`;
  return `Point-in-time recovery: each PostgreSQL server archives every WAL segment to the pgBackRest repository, ${pitrRepository(m)}, encrypted (aes-256-cbc, the passphrase in the secret ${code(p.cipherPassSecret)}). The repository keeps ${kept} and ${p.retention.diff} differential backups per full one; any moment since the oldest kept full backup can be restored (\`pgbackrest-restore <data directory> <time or restore point>\`, in the \`pgbackrest\` container of the data store's pod; docs/BACKUP.md of the ops-baseline package).`;
}

/** Where each kind of backup lives, and so what a loss of the target takes with it. */
function backupPlacement(m: DocModel): string {
  const c = m.config;
  const dumps = m.restores.filter((r) => r.kind !== "volume").map((r) => code(r.backup));
  const volumes = m.restores.filter((r) => r.kind === "volume").map((r) => code(r.backup));
  const offsite = c.backup.pitr.repository.type === "s3";
  const parts = [
    dumps.length > 0 &&
      `the scheduled dumps (${dumps.join(", ")}) live on backup storage of the same target (a volume or claim), so a loss of the host or cluster storage loses them too`,
    pitrStores(m).length > 0 &&
      `the pgBackRest repository is ${pitrRepository(m)}${offsite ? ", so it survives the target" : ", so it is lost with the target"}`,
    volumes.length > 0 &&
      `the restic volume backups (${volumes.join(", ")}) live ${offsite ? "in that bucket too" : "on the backup volume of the target, so a loss of the host or cluster storage loses them too"}`,
  ].filter((x): x is string => typeof x === "string");
  return `Where the backups live: ${parts.join("; ")}.`;
}
