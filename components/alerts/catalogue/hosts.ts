// The hosts (node-exporter): CPU, memory, disk use and disk filling up.
import type { AlertDefinition, InputSeries } from "./types";
import { above, counter, gauge, inside, round, HORIZON } from "./series";

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

export const HOST_ALERTS: AlertDefinition[] = [
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
];
