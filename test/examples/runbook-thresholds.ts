// Every runbook threshold an example system's stack file expresses, with the runbook section it
// comes from: test/examples/examples.test.ts finds each in the rendered rules of both of the
// system's stacks, and test/examples/examples.real.test.ts runs the generated promtool suite that
// puts each alert just past and just inside it. Seeds: /work/shared/seeds 000 RTT, 001 RTAP,
// 002 RAVE, 003 C0Di3, 004 T-OPS-01.
export interface RunbookThreshold {
  system: string;
  alert: string;
  /** The number the rule compares against (in the alert's unit), when the runbook gives one. */
  threshold?: number;
  /** `for` as rendered (30s, 2m, 5m, 1h). */
  for?: string;
  severity?: "critical" | "warning" | "info";
  source: string;
}

export const RUNBOOK_THRESHOLDS: RunbookThreshold[] = [
  // RTAP (001), "Alert Thresholds".
  { system: "rtap", alert: "ServiceDown", for: "30s", severity: "critical", source: "001 Service down >30s: page" },
  {
    system: "rtap",
    alert: "MemoryGrowthHigh",
    threshold: 10,
    severity: "warning",
    source: "001 Memory growth >10%/hour",
  },
  { system: "rtap", alert: "CpuUsageWarning", threshold: 50, severity: "warning", source: "001 CPU usage >50%" },
];
