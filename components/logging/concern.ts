// The log store concern: VictoriaLogs (./victorialogs.ts) and the collector on every node
// (./otelcol.ts), or nothing when the store is disabled. The targets place both: the collector
// is a node agent (`placement: "every-node"`).
import type { ConcernOutput } from "../workloads/model";
import type { LogStoreInput } from "./config";
import { logStoreContext } from "./context";
import { collectorWorkload } from "./otelcol";
import { victoriaLogsWorkload } from "./victorialogs";

export function logStoreConcern(config: LogStoreInput): ConcernOutput {
  const store = config.logging.store;
  if (!store.enabled) return { workloads: [], jobs: [] };
  const ctx = logStoreContext(config);
  return { workloads: [victoriaLogsWorkload(store, ctx), collectorWorkload(store, ctx)], jobs: [] };
}
