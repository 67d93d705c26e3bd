// For every alert, the worst-case time from a fault to the notification: one scrape interval
// (the fault happens just after a scrape) + one evaluation interval + the alert's `for` + the
// route's group wait. Printed per stack by `npm run bench`.
import { effectiveAlerts } from "../components/alerts/rules";
import { loadRepoStack, STACKS } from "../test/support/stack-files";
import type { StackConfig } from "../stacks/config/schema";

export interface AlertLatency {
  alert: string;
  severity: string;
  seconds: number;
}

export function worstCaseLatencies(config: StackConfig): AlertLatency[] {
  const m = config.monitoring;
  return effectiveAlerts(config.alerts)
    .filter((a) => !a.disabled)
    .map((a) => ({
      alert: a.name,
      severity: a.severity,
      // The Watchdog route waits 0 s; every other route the configured group wait.
      seconds:
        m.scrapeInterval +
        m.scrapeTimeout +
        m.evaluationInterval +
        a.forSeconds +
        (a.name === "Watchdog" ? 0 : m.alertmanager.groupWait),
    }));
}

export function main(): void {
  for (const stack of STACKS) {
    const config = loadRepoStack(stack);
    console.log(
      `\nworst case from fault to notification, ${stack} (scrape ${config.monitoring.scrapeInterval}s + scrape timeout ${config.monitoring.scrapeTimeout}s + evaluation ${config.monitoring.evaluationInterval}s + for + group wait ${config.monitoring.alertmanager.groupWait}s)`,
    );
    console.log("alert                            severity   seconds");
    for (const l of worstCaseLatencies(config)) {
      console.log(`${l.alert.padEnd(32)} ${l.severity.padEnd(10)} ${String(l.seconds).padStart(7)}`);
    }
  }
}

if (require.main === module) main();
