// For every alert, the worst-case time from a fault to the notification: the time until the
// fault is in the TSDB + one evaluation interval + the alert's `for` + the route's group wait.
// Printed per stack by `npm run bench`.
//
// The fault reaches the TSDB on one of two paths, whichever comes first, so the worst case is the
// longer of the two:
// - the next scrape fails: one scrape interval (the fault happens just after a scrape) + the scrape
//   timeout (a dead address stops answering);
// - the target leaves discovery before its next scrape (Docker's DNS drops a stopped container, a
//   deleted pod leaves the endpoints): Prometheus then writes its staleness markers only after two
//   more scrape intervals and a tenth (scrape.go, endOfRunStaleness), and until then the last `up`
//   sample of 1 stays visible, so absent() holds from 2.1 scrape intervals after the last scrape.
import { effectiveAlerts } from "../components/alerts/rules";
import { loadRepoStack, STACKS } from "../test/support/stack-files";
import type { StackConfig } from "../stacks/config/schema";

export interface AlertLatency {
  alert: string;
  severity: string;
  seconds: number;
}

/** The longer of the two paths by which a dead target's fault reaches the TSDB (see above). */
export function detectionSeconds(config: StackConfig): number {
  const m = config.monitoring;
  return Math.ceil(Math.max(m.scrapeInterval + m.scrapeTimeout, 2.1 * m.scrapeInterval));
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
        detectionSeconds(config) +
        m.evaluationInterval +
        a.forSeconds +
        (a.name === "Watchdog" ? 0 : m.alertmanager.groupWait),
    }));
}

export function main(): void {
  for (const stack of STACKS) {
    const config = loadRepoStack(stack);
    console.log(
      `\nworst case from fault to notification, ${stack} (detection ${detectionSeconds(config)}s: the longer of scrape ${config.monitoring.scrapeInterval}s + timeout ${config.monitoring.scrapeTimeout}s and 2.1 scrape intervals for a target that leaves discovery; + evaluation ${config.monitoring.evaluationInterval}s + for + group wait ${config.monitoring.alertmanager.groupWait}s)`,
    );
    console.log("alert                            severity   seconds");
    for (const l of worstCaseLatencies(config)) {
      console.log(`${l.alert.padEnd(32)} ${l.severity.padEnd(10)} ${String(l.seconds).padStart(7)}`);
    }
  }
}

if (require.main === module) main();
