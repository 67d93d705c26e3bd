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
import { LOG_ALERTS } from "../logging/alerts";
import { BACKUP_ALERTS, WAL_ARCHIVE_ALERTS } from "./catalogue/backups";
import { DATASTORE_ALERTS } from "./catalogue/datastores";
import { HOST_ALERTS } from "./catalogue/hosts";
import { HTTP_ALERTS } from "./catalogue/http";
import { KUBERNETES_ALERTS } from "./catalogue/kubernetes";
import { MONITORING_ALERTS } from "./catalogue/monitoring";
import { PROBE_ALERTS } from "./catalogue/probes";
import { PROCESS_ALERTS } from "./catalogue/process";
import type { AlertDefinition } from "./catalogue/types";
import { natsAlertDefinitions } from "./nats";

export type { AlertContext, AlertDefinition, AlertTestPlan, InputSeries } from "./catalogue/types";
export { counter, gauge, round } from "./catalogue/series";

/** Split by the signals each part reads (catalogue/*.ts); the rule group decides the file. */
export const ALERT_CATALOGUE: AlertDefinition[] = [
  ...PROBE_ALERTS,
  ...HTTP_ALERTS,
  ...PROCESS_ALERTS,
  ...HOST_ALERTS,
  ...DATASTORE_ALERTS,
  ...MONITORING_ALERTS,
  ...BACKUP_ALERTS,
  ...WAL_ARCHIVE_ALERTS,
  ...KUBERNETES_ALERTS,
  ...natsAlertDefinitions(),
  ...JOB_ALERTS,
  ...LOG_ALERTS,
];

export function catalogueNames(): string[] {
  return [...new Set(ALERT_CATALOGUE.map((a) => a.name))].sort();
}
