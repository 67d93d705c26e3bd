// The alert catalogue: every alert the runbooks ask for, as data. Each entry knows its PromQL, its
// default threshold, `for` and severity (tunable per stack), its runbook section, and how to make
// input series that sit just past or just inside its threshold, from which the promtool tests
// are generated (./promtool-tests.ts). Thresholds come from the seeds:
//   C0Di3 (003): error rate 1 % / 5 %, CPU 70 % / 90 %, memory 80 % / 95 %, disk 80 % / 90 %,
//                database connections 80 % / 95 % of max;
//   RTAP (001):  p95 latency above 200 ms, service down more than 30 s pages, memory growth
//                above 10 % per hour, queue utilisation above 80 %;
//   RAVE (002):  target down critical after 2 min, memory above 85 % for 5 min, webhook errors
//                above 10 in 5 min, TLS certificate expiry, p99 under 200 ms, 99.9 % availability.
import { JOB_ALERTS } from "../jobs/alerts";
import type { Severity } from "./config";
import { natsAlertDefinitions } from "./nats";

export interface InputSeries {
  series: string;
  values: string;
}

export interface AlertTestPlan {
  /** Series that put the measured quantity just past the threshold (or the fault present). */
  firing: InputSeries[];
  /** Series that keep it just inside the threshold (or healthy); empty where no such state exists. */
  silent: InputSeries[] | undefined;
  /** Minutes after which the quantity equals its level (rate windows filled, offsets reached). */
  steadyMinutes: number;
  /** Labels the expression yields for these series (besides the rule's own labels). */
  labels: Record<string, string>;
}

export interface AlertContext {
  /** Scrape jobs of the services (their own /metrics). */
  serviceJobs: string[];
  /** Scrape jobs of everything else: Prometheus, Alertmanager, exporters. */
  infraJobs: string[];
  /** Memory limit of each service job, bytes. */
  memoryLimits: Record<string, number>;
  /** Names (the `backup` label) of every configured backup, and of every configured restore drill. */
  backups: string[];
  drills: string[];
  /**
   * The namespace whose objects kube-state-metrics and the kubelet report, when the stack runs on
   * Kubernetes with cluster monitoring (the Kubernetes alerts exist only then).
   */
  kubernetesNamespace?: string;
  /** NATS data stores watched by an exporter (the NATS alerts exist only then). */
  natsStores?: string[];
  /** The stack's own scheduled jobs and how long after a success the next one is overdue (components/jobs). */
  scheduledJobs?: Array<{ name: string; overdueSeconds: number }>;
}

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

export interface AlertDefinition {
  name: string;
  /** Alerts of one family (warning and critical of the same signal) inhibit each other. */
  family?: string;
  /** Rule group (one file per group). */
  group: "services" | "hosts" | "datastores" | "monitoring" | "slo" | "backups" | "kubernetes" | "jobs";
  severity: Severity;
  forSeconds: number;
  /** Default threshold in `unit`; absent for alerts that test a state (down, missing). */
  threshold?: number;
  unit?: string;
  /** One rule per returned expression (e.g. one per job); all share the alert name. */
  expr(threshold: number, ctx: AlertContext): string[];
  summary: string;
  description: string;
  /**
   * The section the hand-written runbook had for this alert's family; the generated runbook keeps
   * it as an extra anchor so older links still land, and picks the family's guidance by it. New
   * links use the alert's own section (its name in lower case), so a new alert needs no value here.
   */
  runbook?: string;
  test(threshold: number, ctx: AlertContext): AlertTestPlan;
}

const HORIZON = 240;

/** Counter increasing by `perMinute` each minute for `minutes`, in promtool's series notation. */
export function counter(perMinute: number, minutes = HORIZON): string {
  return `0+${round(perMinute)}x${minutes}`;
}

export function gauge(value: number, minutes = HORIZON): string {
  return `${round(value)}+0x${minutes}`;
}

export function round(n: number): string {
  return Number(n.toPrecision(12)).toString();
}

/** A level just past an upper threshold, halfway to the ceiling where there is one. */
function above(threshold: number, ceiling?: number): number {
  return ceiling === undefined ? threshold * 1.1 : Math.min(threshold * 1.1, threshold + (ceiling - threshold) / 2);
}
const inside = (threshold: number) => threshold * 0.9;

const first = (jobs: string[], fallback: string) => jobs[0] ?? fallback;

function jobMatcher(jobs: string[]): string {
  return jobs.length === 1 ? `job="${jobs[0]}"` : `job=~"${jobs.join("|")}"`;
}

function errorRatioSeries(job: string, ratio: number): InputSeries[] {
  const total = 1000;
  return [
    {
      series: `http_requests_total{job="${job}",instance="${job}:3000",method="GET",route="/api/work",status="200"}`,
      values: counter(total * (1 - ratio)),
    },
    {
      series: `http_requests_total{job="${job}",instance="${job}:3000",method="GET",route="/api/work",status="500"}`,
      values: counter(total * ratio),
    },
  ];
}

/** Histogram buckets of the reference API (apps/api/metrics.ts). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10];

/** Every request of `job` falls into the bucket whose upper bound is `upper`. */
function latencySeries(job: string, upper: number, perMinute = 600): InputSeries[] {
  return [...DURATION_BUCKETS.map(String), "+Inf"].map((le) => ({
    series: `http_request_duration_seconds_bucket{job="${job}",instance="${job}:3000",method="GET",route="/api/work",le="${le}"}`,
    values: counter(le === "+Inf" || Number(le) >= upper ? perMinute : 0),
  }));
}

function bucketAbove(threshold: number): number {
  const next = DURATION_BUCKETS.find((b) => b > threshold);
  if (next === undefined) throw new Error(`latency threshold ${threshold}s is above the largest bucket`);
  return next;
}

const cpuSeries = (usedPercent: number): InputSeries[] => [
  {
    series: `node_cpu_seconds_total{job="node",instance="node-exporter:9100",cpu="0",mode="idle"}`,
    values: counter(60 * (1 - usedPercent / 100)),
  },
];

const memorySeries = (usedPercent: number): InputSeries[] => {
  const total = 8 * 1024 ** 3;
  return [
    { series: `node_memory_MemTotal_bytes{job="node",instance="node-exporter:9100"}`, values: gauge(total) },
    {
      series: `node_memory_MemAvailable_bytes{job="node",instance="node-exporter:9100"}`,
      values: gauge(total * (1 - usedPercent / 100)),
    },
  ];
};

const FS = `job="node",instance="node-exporter:9100",device="/dev/vda1",fstype="ext4",mountpoint="/"`;

const diskSeries = (usedPercent: number): InputSeries[] => {
  const size = 100 * 1024 ** 3;
  return [
    { series: `node_filesystem_size_bytes{${FS}}`, values: gauge(size) },
    { series: `node_filesystem_avail_bytes{${FS}}`, values: gauge(size * (1 - usedPercent / 100)) },
  ];
};

/** Free space shrinking linearly so that at minute `at` it lasts `hoursLeft` more hours. */
const fillingSeries = (hoursLeft: number, at: number): InputSeries[] => {
  const perMinute = 10 * 1024 ** 2;
  const start = perMinute * (hoursLeft * 60 + at);
  return [
    { series: `node_filesystem_size_bytes{${FS}}`, values: gauge(start * 2) },
    { series: `node_filesystem_avail_bytes{${FS}}`, values: `${round(start)}-${round(perMinute)}x${HORIZON}` },
  ];
};

const stateSeries = (series: string, value: number): InputSeries[] => [{ series, values: gauge(value) }];

/** Resident memory growing linearly so that at minute `at` it is `ratio` above an hour before. */
function growthSeries(job: string, ratio: number, at: number): InputSeries[] {
  const base = 1e9;
  // (r(at) - r(at-60)) / r(at-60) = 60 s / (base + s (at - 60)) = ratio
  const slope = (ratio * base) / (60 - ratio * (at - 60));
  return [
    {
      series: `process_resident_memory_bytes{job="${job}",instance="${job}:3000"}`,
      values: `${base}+${round(slope)}x${HORIZON}`,
    },
  ];
}

export const ALERT_CATALOGUE: AlertDefinition[] = [
  {
    name: "ServiceDown",
    group: "services",
    severity: "critical",
    forSeconds: 30,
    // A crashed replica stays a target (discovery lists pods that are not ready) and reports
    // up == 0; a service with no target at all (scaled to zero, every pod gone, a stopped
    // container dropped from Docker's DNS) has no `up` series, which absent() catches. Both sides
    // yield the labels {job} only, so when a dead target moves from the first case to the second
    // its pending alert keeps its `for` timer instead of starting over.
    expr: (_, ctx) => [
      [
        `count by (job) (up{${jobMatcher(ctx.serviceJobs)}} == 0)`,
        ...ctx.serviceJobs.map((job) => `absent(up{job="${job}"})`),
      ].join(" or "),
    ],
    summary: "{{ $labels.job }} is down",
    description:
      "Prometheus cannot scrape an instance of {{ $labels.job }}, or finds no instance of it at all; the service is down, scaled to zero or unreachable.",
    runbook: "servicedown",
    test: (_, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const series = `up{job="${job}",instance="${job}:3000"}`;
      // The other services report, so only this one's instance fires.
      const others = ctx.serviceJobs
        .filter((j) => j !== job)
        .flatMap((j) => stateSeries(`up{job="${j}",instance="${j}:3000"}`, 1));
      return {
        firing: [...stateSeries(series, 0), ...others],
        silent: [...stateSeries(series, 1), ...others],
        steadyMinutes: 0,
        labels: { job },
      };
    },
  },
  {
    name: "TargetDown",
    group: "monitoring",
    severity: "critical",
    forSeconds: 120,
    expr: (_, ctx) => [`up{${jobMatcher(ctx.infraJobs)}} == 0`],
    summary: "Scrape target {{ $labels.instance }} of {{ $labels.job }} is down",
    description: "{{ $labels.job }} at {{ $labels.instance }} has not answered scrapes for 2 minutes.",
    runbook: "targetdown",
    test: (_, ctx) => {
      const job = first(ctx.infraJobs, "prometheus");
      const series = `up{job="${job}",instance="${job}:9090"}`;
      return {
        firing: stateSeries(series, 0),
        silent: stateSeries(series, 1),
        steadyMinutes: 0,
        labels: { job, instance: `${job}:9090` },
      };
    },
  },
  {
    name: "ProbeFailing",
    group: "services",
    severity: "critical",
    forSeconds: 60,
    expr: () => [`probe_success{job="blackbox"} == 0`],
    summary: "Probe of {{ $labels.instance }} is failing",
    description:
      "The blackbox exporter cannot get a healthy answer from {{ $labels.instance }} ({{ $labels.service }}).",
    runbook: "probefailing",
    test: (_, ctx) => {
      const service = first(ctx.serviceJobs, "api");
      const labels = { job: "blackbox", instance: `http://${service}:3000/health`, service };
      const series = `probe_success{job="blackbox",instance="${labels.instance}",service="${service}"}`;
      return { firing: stateSeries(series, 0), silent: stateSeries(series, 1), steadyMinutes: 0, labels };
    },
  },
  {
    name: "LatencyP95High",
    group: "services",
    severity: "critical",
    forSeconds: 300,
    threshold: 0.2,
    unit: "seconds",
    expr: (t, ctx) => [
      `histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{${jobMatcher(ctx.serviceJobs)}}[5m]))) > ${t}`,
    ],
    summary: "{{ $labels.job }} p95 latency is above its threshold",
    description:
      "The 95th percentile of request duration of {{ $labels.job }} has been above the threshold for 5 minutes.",
    runbook: "latencyp95high",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const below = [...DURATION_BUCKETS].reverse().find((b) => b <= t) ?? DURATION_BUCKETS[0];
      return {
        firing: latencySeries(job, bucketAbove(t)),
        silent: latencySeries(job, below),
        steadyMinutes: 5,
        labels: { job },
      };
    },
  },
  ...(
    [
      ["ErrorRateWarning", "warning", 1],
      ["ErrorRateCritical", "critical", 5],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: name.replace(/(Warning|Critical)$/, ""),
      group: "services",
      severity,
      forSeconds: 300,
      threshold,
      unit: "percent",
      expr: (t, ctx) => [
        `sum by (job) (rate(http_requests_total{${jobMatcher(ctx.serviceJobs)},status=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{${jobMatcher(ctx.serviceJobs)}}[5m])) * 100 > ${t}`,
      ],
      summary: "{{ $labels.job }} error rate is above its threshold",
      description: "More than the allowed share of requests to {{ $labels.job }} end in a 5xx (5-minute rate).",
      runbook: "errorrate",
      test: (t, ctx) => {
        const job = first(ctx.serviceJobs, "api");
        return {
          firing: errorRatioSeries(job, above(t, 100) / 100),
          silent: errorRatioSeries(job, inside(t) / 100),
          steadyMinutes: 5,
          labels: { job },
        };
      },
    }),
  ),
  ...(
    [
      ["CpuUsageWarning", "warning", 70],
      ["CpuUsageCritical", "critical", 90],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: name.replace(/(Warning|Critical)$/, ""),
      group: "hosts",
      severity,
      forSeconds: 600,
      threshold,
      unit: "percent",
      expr: (t) => [`100 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100 > ${t}`],
      summary: "CPU of {{ $labels.instance }} is above its threshold",
      description: "CPU use on {{ $labels.instance }} has stayed above the threshold for 10 minutes.",
      runbook: "cpuusage",
      test: (t) => ({
        firing: cpuSeries(above(t, 100)),
        silent: cpuSeries(inside(t)),
        steadyMinutes: 5,
        labels: { instance: "node-exporter:9100" },
      }),
    }),
  ),
  ...(
    [
      ["MemoryUsageWarning", "warning", 80],
      ["MemoryUsageCritical", "critical", 95],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: name.replace(/(Warning|Critical)$/, ""),
      group: "hosts",
      severity,
      forSeconds: 300,
      threshold,
      unit: "percent",
      expr: (t) => [`(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100 > ${t}`],
      summary: "Memory of {{ $labels.instance }} is above its threshold",
      description: "Memory use on {{ $labels.instance }} has stayed above the threshold for 5 minutes.",
      runbook: "memoryusage",
      test: (t) => ({
        firing: memorySeries(above(t, 100)),
        silent: memorySeries(inside(t)),
        steadyMinutes: 0,
        labels: { job: "node", instance: "node-exporter:9100" },
      }),
    }),
  ),
  {
    name: "ProcessMemoryHigh",
    group: "services",
    severity: "warning",
    forSeconds: 300,
    threshold: 85,
    unit: "percent of the memory limit",
    expr: (t, ctx) => [
      `process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} / on (job) group_left ops_baseline:memory_limit_bytes * 100 > ${t}`,
    ],
    summary: "{{ $labels.job }} uses most of its memory limit",
    description:
      "Resident memory of {{ $labels.instance }} has been above the threshold share of its limit for 5 minutes.",
    runbook: "processmemoryhigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const limit = ctx.memoryLimits[job] ?? 256 * 1024 ** 2;
      const series = `process_resident_memory_bytes{job="${job}",instance="${job}:3000"}`;
      return {
        firing: stateSeries(series, (limit * above(t, 100)) / 100),
        silent: stateSeries(series, (limit * inside(t)) / 100),
        steadyMinutes: 0,
        labels: { job, instance: `${job}:3000` },
      };
    },
  },
  {
    name: "MemoryGrowthHigh",
    group: "services",
    severity: "warning",
    forSeconds: 900,
    threshold: 10,
    unit: "percent per hour",
    expr: (t, ctx) => [
      `(process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} - process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} offset 1h) / process_resident_memory_bytes{${jobMatcher(ctx.serviceJobs)}} offset 1h * 100 > ${t}`,
    ],
    summary: "{{ $labels.job }} memory is growing fast",
    description:
      "Resident memory of {{ $labels.instance }} grew by more than the threshold within the last hour; a leak is likely.",
    runbook: "memorygrowthhigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      // The growth ratio falls over time on a linear series: pin it at the moment the test looks.
      const at = 60 + 15 + 1;
      return {
        firing: growthSeries(job, above(t) / 100, at),
        silent: growthSeries(job, inside(t) / 100, at),
        steadyMinutes: 60,
        labels: { job, instance: `${job}:3000` },
      };
    },
  },
  ...(
    [
      ["DiskUsageWarning", "warning", 80],
      ["DiskUsageCritical", "critical", 90],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: name.replace(/(Warning|Critical)$/, ""),
      group: "hosts",
      severity,
      forSeconds: 600,
      threshold,
      unit: "percent",
      expr: (t) => [
        `(1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"}) * 100 > ${t}`,
      ],
      summary: "Disk {{ $labels.mountpoint }} on {{ $labels.instance }} is filling",
      description: "Disk use of {{ $labels.mountpoint }} on {{ $labels.instance }} is above the threshold.",
      runbook: "diskusage",
      test: (t) => ({
        firing: diskSeries(above(t, 100)),
        silent: diskSeries(inside(t)),
        steadyMinutes: 0,
        labels: { job: "node", instance: "node-exporter:9100", device: "/dev/vda1", fstype: "ext4", mountpoint: "/" },
      }),
    }),
  ),
  {
    name: "DiskFillingUp",
    group: "hosts",
    severity: "warning",
    forSeconds: 3600,
    threshold: 24,
    unit: "hours until full",
    expr: (t) => [`predict_linear(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"}[6h], ${t} * 3600) < 0`],
    summary: "Disk {{ $labels.mountpoint }} on {{ $labels.instance }} fills up within a day",
    description:
      "At the rate of the last 6 hours, {{ $labels.mountpoint }} on {{ $labels.instance }} runs out of space within the threshold.",
    runbook: "diskfillingup",
    test: (t) => {
      return {
        firing: fillingSeries(t * 0.9, 0),
        silent: fillingSeries(t * 1.25 + 2, 62),
        steadyMinutes: 1,
        labels: { job: "node", instance: "node-exporter:9100", device: "/dev/vda1", fstype: "ext4", mountpoint: "/" },
      };
    },
  },
  ...(
    [
      ["PostgresConnectionsWarning", "warning", 80],
      ["PostgresConnectionsCritical", "critical", 95],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: name.replace(/(Warning|Critical)$/, ""),
      group: "datastores",
      severity,
      forSeconds: 300,
      threshold,
      unit: "percent of max_connections",
      expr: (t) => [
        `sum by (datastore) (pg_stat_activity_count) / max by (datastore) (pg_settings_max_connections) * 100 > ${t}`,
      ],
      summary: "{{ $labels.datastore }} is close to max_connections",
      description:
        "Connections to {{ $labels.datastore }} are above the threshold share of max_connections; raise the pool or the limit.",
      runbook: "datastoreconnections",
      test: (t) => {
        const labels = `job="postgres-exporter",instance="postgres-exporter:9187",datastore="postgres"`;
        const series = (pct: number) => [
          { series: `pg_settings_max_connections{${labels}}`, values: gauge(100) },
          { series: `pg_stat_activity_count{${labels},datname="core_agent",state="active"}`, values: gauge(pct) },
        ];
        return {
          firing: series(above(t, 100)),
          silent: series(inside(t)),
          steadyMinutes: 0,
          labels: { datastore: "postgres" },
        };
      },
    }),
  ),
  ...(
    [
      ["RedisConnectionsWarning", "warning", 80],
      ["RedisConnectionsCritical", "critical", 95],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: name.replace(/(Warning|Critical)$/, ""),
      group: "datastores",
      severity,
      forSeconds: 300,
      threshold,
      unit: "percent of maxclients",
      expr: (t) => [`redis_connected_clients / redis_config_maxclients * 100 > ${t}`],
      summary: "{{ $labels.datastore }} is close to maxclients",
      description: "Clients of {{ $labels.datastore }} are above the threshold share of maxclients.",
      runbook: "datastoreconnections",
      test: (t) => {
        const labels = `job="redis-exporter",instance="redis-exporter:9121",datastore="redis"`;
        const series = (pct: number) => [
          { series: `redis_config_maxclients{${labels}}`, values: gauge(1000) },
          { series: `redis_connected_clients{${labels}}`, values: gauge(pct * 10) },
        ];
        return {
          firing: series(above(t, 100)),
          silent: series(inside(t)),
          steadyMinutes: 0,
          labels: { job: "redis-exporter", instance: "redis-exporter:9121", datastore: "redis" },
        };
      },
    }),
  ),
  ...(
    [
      ["PostgresDown", "pg_up", "postgres-exporter:9187", "postgres"],
      ["RedisDown", "redis_up", "redis-exporter:9121", "redis"],
    ] as const
  ).map(
    ([name, metric, instance, datastore]): AlertDefinition => ({
      name,
      group: "datastores",
      severity: "critical",
      forSeconds: 60,
      expr: () => [`${metric} == 0`],
      summary: "{{ $labels.datastore }} is down",
      description: "The exporter of {{ $labels.datastore }} cannot reach it.",
      runbook: "datastoredown",
      test: () => {
        const labels = { job: `${datastore}-exporter`, instance, datastore };
        const series = `${metric}{job="${labels.job}",instance="${instance}",datastore="${datastore}"}`;
        return { firing: stateSeries(series, 0), silent: stateSeries(series, 1), steadyMinutes: 0, labels };
      },
    }),
  ),
  {
    name: "QueueUtilisationHigh",
    group: "services",
    severity: "warning",
    forSeconds: 300,
    threshold: 80,
    unit: "percent",
    expr: (t, ctx) => [`queue_utilization_ratio{${jobMatcher(ctx.serviceJobs)}} * 100 > ${t}`],
    summary: "{{ $labels.job }} {{ $labels.queue }} is nearly full",
    description:
      "Utilisation of {{ $labels.queue }} in {{ $labels.instance }} has been above the threshold for 5 minutes; back-pressure is near.",
    runbook: "queueutilisationhigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const series = `queue_utilization_ratio{job="${job}",instance="${job}:3000",queue="in_flight"}`;
      return {
        firing: stateSeries(series, above(t, 100) / 100),
        silent: stateSeries(series, inside(t) / 100),
        steadyMinutes: 0,
        labels: { job, instance: `${job}:3000`, queue: "in_flight" },
      };
    },
  },
  {
    name: "WebhookErrorsHigh",
    group: "services",
    severity: "warning",
    forSeconds: 60,
    threshold: 10,
    unit: "errors in 5 minutes",
    expr: (t, ctx) => [`sum by (job) (increase(webhook_errors_total{${jobMatcher(ctx.serviceJobs)}}[5m])) > ${t}`],
    summary: "{{ $labels.job }} webhook errors",
    description: "More webhook deliveries to {{ $labels.job }} failed in the last 5 minutes than the threshold allows.",
    runbook: "webhookerrorshigh",
    test: (t, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const series = (perFive: number) => [
        { series: `webhook_errors_total{job="${job}",instance="${job}:3000"}`, values: counter(perFive / 5) },
      ];
      return { firing: series(above(t)), silent: series(inside(t)), steadyMinutes: 6, labels: { job } };
    },
  },
  ...(
    [
      ["TlsCertificateExpiringSoon", "warning", 14],
      ["TlsCertificateExpiryCritical", "critical", 3],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition => ({
      name,
      family: "TlsCertificateExpiry",
      group: "services",
      severity,
      forSeconds: 600,
      threshold,
      unit: "days",
      expr: (t) => [`probe_ssl_earliest_cert_expiry{job="blackbox"} - time() < ${t} * 86400`],
      summary: "TLS certificate of {{ $labels.instance }} expires soon",
      description: "The certificate served at {{ $labels.instance }} expires within the threshold; renew it.",
      runbook: "tlscertificateexpiring",
      test: (t, ctx) => {
        const service = first(ctx.serviceJobs, "api");
        const instance = `https://${service}:3000/health`;
        const at = 11; // when the test looks: `for` (10 min) + 1 min
        const series = (daysLeft: number) => [
          {
            series: `probe_ssl_earliest_cert_expiry{job="blackbox",instance="${instance}",service="${service}"}`,
            values: gauge(at * 60 + daysLeft * 86400),
          },
        ];
        return {
          firing: series(t / 2),
          silent: series(t * 2),
          steadyMinutes: 0,
          labels: { job: "blackbox", instance, service },
        };
      },
    }),
  ),
  ...(
    [
      ["PrometheusConfigReloadFailed", "prometheus_config_last_reload_successful", "prometheus", "prometheus:9090"],
      [
        "AlertmanagerConfigReloadFailed",
        "alertmanager_config_last_reload_successful",
        "alertmanager",
        "alertmanager:9093",
      ],
    ] as const
  ).map(
    ([name, metric, job, instance]): AlertDefinition => ({
      name,
      group: "monitoring",
      severity: "warning",
      forSeconds: 300,
      expr: () => [`max_over_time(${metric}{job="${job}"}[5m]) == 0`],
      summary: `${job} configuration reload failed`,
      description: `${job} at {{ $labels.instance }} kept its old configuration: the new one did not load.`,
      runbook: "configreloadfailed",
      test: () => {
        const series = `${metric}{job="${job}",instance="${instance}"}`;
        return {
          firing: stateSeries(series, 0),
          silent: stateSeries(series, 1),
          steadyMinutes: 5,
          labels: { job, instance },
        };
      },
    }),
  ),
  {
    name: "AlertmanagerNotificationsFailing",
    group: "monitoring",
    severity: "critical",
    forSeconds: 300,
    // Pages go through the very pipeline that fails; the heartbeat receiver (Watchdog) is the
    // second path, and this alert reaches whichever integration still works.
    expr: () => [
      'sum by (job, instance, integration) (rate(alertmanager_notifications_failed_total{job="alertmanager"}[5m])) > 0',
    ],
    summary: "Alertmanager fails to deliver notifications via {{ $labels.integration }}",
    description:
      "Alertmanager at {{ $labels.instance }} could not deliver notifications through {{ $labels.integration }} in the last 5 minutes: pages and tickets are being lost (receiver down, egress blocked, credentials wrong).",
    runbook: "alertmanagernotificationsfailing",
    test: () => {
      const labels = `job="alertmanager",instance="alertmanager:9093",integration="webhook"`;
      return {
        firing: [{ series: `alertmanager_notifications_failed_total{${labels}}`, values: counter(2) }],
        silent: [{ series: `alertmanager_notifications_failed_total{${labels}}`, values: counter(0) }],
        steadyMinutes: 5,
        labels: { job: "alertmanager", instance: "alertmanager:9093", integration: "webhook" },
      };
    },
  },
  {
    name: "PrometheusRuleEvaluationFailures",
    group: "monitoring",
    severity: "critical",
    forSeconds: 300,
    expr: () => [
      'sum by (job, instance, rule_group) (rate(prometheus_rule_evaluation_failures_total{job="prometheus"}[5m])) > 0',
    ],
    summary: "Prometheus fails to evaluate rules of {{ $labels.rule_group }}",
    description:
      "Rules of {{ $labels.rule_group }} failed to evaluate on {{ $labels.instance }} in the last 5 minutes: the alerts in that group cannot fire.",
    runbook: "prometheusruleevaluationfailures",
    test: () => {
      const labels = `job="prometheus",instance="localhost:9090",rule_group="/etc/prometheus/rules/services.yml;services"`;
      return {
        firing: [{ series: `prometheus_rule_evaluation_failures_total{${labels}}`, values: counter(1) }],
        silent: [{ series: `prometheus_rule_evaluation_failures_total{${labels}}`, values: counter(0) }],
        steadyMinutes: 5,
        labels: {
          job: "prometheus",
          instance: "localhost:9090",
          rule_group: "/etc/prometheus/rules/services.yml;services",
        },
      };
    },
  },
  {
    name: "ScrapeTargetMissing",
    group: "monitoring",
    severity: "warning",
    forSeconds: 300,
    // One rule: absent() of each job, joined with `or`, so each missing job fires with its own label.
    expr: (_, ctx) => [[...ctx.serviceJobs, ...ctx.infraJobs].map((job) => `absent(up{job="${job}"})`).join(" or ")],
    summary: "No scrape target for {{ $labels.job }}",
    description: "Prometheus has no target for job {{ $labels.job }}: service discovery found nothing to scrape.",
    runbook: "scrapetargetmissing",
    test: (_, ctx) => {
      const job = first(ctx.serviceJobs, "api");
      const upOf = (j: string) => ({ series: `up{job="${j}",instance="${j}:9090"}`, values: gauge(1) });
      const all = [...ctx.serviceJobs, ...ctx.infraJobs];
      // Firing: every job but one reports; only that one is missing.
      return {
        firing: all.filter((j) => j !== job).map(upOf),
        silent: all.map(upOf),
        steadyMinutes: 0,
        labels: { job },
      };
    },
  },
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
  // Kubernetes objects, after kube-prometheus' kubernetes-apps and kubernetes-storage rules,
  // from kube-state-metrics (scoped to the stack's namespace) and the kubelet's volume stats.
  ...(
    [
      {
        name: "KubePodCrashLooping",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) =>
          `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",namespace="${ns}"}[5m]) >= 1`,
        summary: "{{ $labels.pod }}/{{ $labels.container }} is crash looping",
        description:
          "Container {{ $labels.container }} of pod {{ $labels.pod }} keeps restarting (CrashLoopBackOff) for 15 minutes.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_pod_container_status_waiting_reason{job="kube-state-metrics",namespace="${ns}",pod="api-0",container="api",reason="CrashLoopBackOff"}`,
            values: gauge(bad ? 1 : 0),
          },
        ],
        labels: (ns: string) => ({
          namespace: ns,
          pod: "api-0",
          container: "api",
          reason: "CrashLoopBackOff",
          job: "kube-state-metrics",
        }),
      },
      {
        name: "KubeContainerOOMKilled",
        forSeconds: 0,
        severity: "warning",
        expr: (ns: string) =>
          `(kube_pod_container_status_last_terminated_reason{reason="OOMKilled",namespace="${ns}"} == 1) and on (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{namespace="${ns}"}[10m]) > 0)`,
        summary: "{{ $labels.pod }}/{{ $labels.container }} was OOM killed",
        description:
          "Container {{ $labels.container }} of pod {{ $labels.pod }} was killed for exceeding its memory limit and restarted in the last 10 minutes.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_pod_container_status_last_terminated_reason{job="kube-state-metrics",namespace="${ns}",pod="api-0",container="api",reason="OOMKilled"}`,
            values: gauge(1),
          },
          {
            series: `kube_pod_container_status_restarts_total{job="kube-state-metrics",namespace="${ns}",pod="api-0",container="api"}`,
            values: bad ? counter(1) : gauge(3),
          },
        ],
        labels: (ns: string) => ({
          namespace: ns,
          pod: "api-0",
          container: "api",
          reason: "OOMKilled",
          job: "kube-state-metrics",
        }),
      },
      {
        name: "KubeJobFailed",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) => `kube_job_failed{namespace="${ns}"} > 0`,
        summary: "Job {{ $labels.job_name }} failed",
        description:
          "Job {{ $labels.job_name }} (a backup or restore drill run) failed; the CronJob keeps it for inspection (kubectl describe job).",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_job_failed{job="kube-state-metrics",namespace="${ns}",job_name="postgres-backup-1",condition="true"}`,
            values: gauge(bad ? 1 : 0),
          },
        ],
        labels: (ns: string) => ({
          namespace: ns,
          job_name: "postgres-backup-1",
          condition: "true",
          job: "kube-state-metrics",
        }),
      },
      {
        name: "KubeDeploymentReplicasMismatch",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) =>
          `kube_deployment_spec_replicas{namespace="${ns}"} != kube_deployment_status_replicas_available{namespace="${ns}"}`,
        summary: "Deployment {{ $labels.deployment }} lacks available replicas",
        description:
          "Deployment {{ $labels.deployment }} has had fewer available replicas than it asks for during 15 minutes (image pull, scheduling, crash or readiness).",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_deployment_spec_replicas{job="kube-state-metrics",namespace="${ns}",deployment="api"}`,
            values: gauge(2),
          },
          {
            series: `kube_deployment_status_replicas_available{job="kube-state-metrics",namespace="${ns}",deployment="api"}`,
            values: gauge(bad ? 1 : 2),
          },
        ],
        labels: (ns: string) => ({ namespace: ns, deployment: "api", job: "kube-state-metrics" }),
      },
      {
        name: "KubeStatefulSetReplicasMismatch",
        forSeconds: 900,
        severity: "warning",
        expr: (ns: string) =>
          `kube_statefulset_status_replicas_ready{namespace="${ns}"} != kube_statefulset_status_replicas{namespace="${ns}"}`,
        summary: "StatefulSet {{ $labels.statefulset }} lacks ready replicas",
        description: "StatefulSet {{ $labels.statefulset }} has had replicas that are not ready during 15 minutes.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kube_statefulset_status_replicas{job="kube-state-metrics",namespace="${ns}",statefulset="postgres"}`,
            values: gauge(1),
          },
          {
            series: `kube_statefulset_status_replicas_ready{job="kube-state-metrics",namespace="${ns}",statefulset="postgres"}`,
            values: gauge(bad ? 0 : 1),
          },
        ],
        labels: (ns: string) => ({ namespace: ns, statefulset: "postgres", job: "kube-state-metrics" }),
      },
      {
        name: "KubePersistentVolumeFillingUp",
        forSeconds: 60,
        severity: "critical",
        expr: (ns: string) =>
          `kubelet_volume_stats_available_bytes{namespace="${ns}"} / kubelet_volume_stats_capacity_bytes{namespace="${ns}"} < 0.03`,
        summary: "Volume {{ $labels.persistentvolumeclaim }} is almost full",
        description: "The volume of claim {{ $labels.persistentvolumeclaim }} has less than 3 % free space.",
        series: (ns: string, bad: boolean) => [
          {
            series: `kubelet_volume_stats_available_bytes{job="kubelet",namespace="${ns}",persistentvolumeclaim="data-postgres-0"}`,
            values: gauge(bad ? 2e8 : 4e8),
          },
          {
            series: `kubelet_volume_stats_capacity_bytes{job="kubelet",namespace="${ns}",persistentvolumeclaim="data-postgres-0"}`,
            values: gauge(1e10),
          },
        ],
        labels: (ns: string) => ({ namespace: ns, persistentvolumeclaim: "data-postgres-0", job: "kubelet" }),
      },
    ] as const
  ).map(
    (k): AlertDefinition => ({
      name: k.name,
      group: "kubernetes",
      severity: k.severity,
      forSeconds: k.forSeconds,
      expr: (_, ctx) => (ctx.kubernetesNamespace ? [k.expr(ctx.kubernetesNamespace)] : []),
      summary: k.summary,
      description: k.description,
      runbook: k.name.toLowerCase(),
      test: (_, ctx) => {
        const ns = ctx.kubernetesNamespace ?? "ops-baseline";
        return { firing: k.series(ns, true), silent: k.series(ns, false), steadyMinutes: 10, labels: k.labels(ns) };
      },
    }),
  ),
  {
    name: "Watchdog",
    group: "monitoring",
    severity: "info",
    forSeconds: 0,
    expr: () => ["vector(1)"],
    summary: "The alerting pipeline works",
    description:
      "Always firing. Alertmanager routes it to the heartbeat receiver; its absence there means alerts cannot reach anyone.",
    runbook: "watchdog",
    test: () => ({ firing: [], silent: undefined, steadyMinutes: 0, labels: {} }),
  },
  ...natsAlertDefinitions(),
  ...JOB_ALERTS,
];

export function catalogueNames(): string[] {
  return [...new Set(ALERT_CATALOGUE.map((a) => a.name))].sort();
}
