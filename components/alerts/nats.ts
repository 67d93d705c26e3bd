// NATS alerts (T-OPS-01 router's message broker). The server gone: the blackbox exporter's probe
// of its /healthz (job `<store>-healthz`), because prometheus-nats-exporter goes on serving the
// last varz values it read when the server stops answering. The rest read the exporter's varz
// metrics (`gnatsd_varz_*`, the `datastore` label added by the scrape job): slow consumers,
// JetStream's file and memory store near their limits, connections near the maximum. Only stacks
// with a NATS data store get these rules (an empty list otherwise; NatsServerDown also needs the
// blackbox exporter), so no rule matches nothing. The metric names are asserted against a real
// server's exporter output in components/services/nats.real.test.ts.
import type { AlertContext, AlertDefinition, AlertTestPlan, InputSeries } from "./catalogue/types";
import { counter, gauge } from "./catalogue/series";

/** The exporter's series of one NATS store, as promtool input. */
function natsSeries(store: string, values: Record<string, string>): InputSeries[] {
  const labels = `job="${store}-exporter",instance="${store}-exporter:7777",datastore="${store}",server_id="http://${store}:8222"`;
  return Object.entries(values).map(([metric, v]) => ({ series: `gnatsd_varz_${metric}{${labels}}`, values: v }));
}

function storeLabels(store: string): Record<string, string> {
  return {
    job: `${store}-exporter`,
    instance: `${store}-exporter:7777`,
    datastore: store,
    server_id: `http://${store}:8222`,
  };
}

/** The scrape job of a NATS store's /healthz probe (components/monitoring/prometheus.ts). */
export const natsHealthJob = (store: string) => `${store}-healthz`;

const healthMatcher = (store: string) => `job="${natsHealthJob(store)}",datastore="${store}"`;

function storeMatcher(ctx: AlertContext): string {
  const stores = ctx.natsStores ?? [];
  return stores.length === 1 ? `datastore="${stores[0]}"` : `datastore=~"${stores.join("|")}"`;
}

/** Just past a percentage threshold (halfway to 100 where 10 % more would pass it), and just inside. */
const past = (t: number) => Math.min(t * 1.1, t + (100 - t) / 2);
const within = (t: number) => t * 0.9;

/** `used / limit * 100 > t` for one pair of varz gauges. */
function ratioAlert(
  name: string,
  family: string,
  severity: "warning" | "critical",
  threshold: number,
  used: string,
  limit: string,
  what: string,
): AlertDefinition {
  return {
    name,
    family,
    group: "datastores",
    engine: "nats",
    severity,
    forSeconds: 300,
    threshold,
    unit: "percent",
    expr: (t, ctx) =>
      (ctx.natsStores ?? []).length === 0
        ? []
        : [
            `gnatsd_varz_${used}{${storeMatcher(ctx)}} / gnatsd_varz_${limit}{${storeMatcher(ctx)}} * 100 > ${t} and gnatsd_varz_${limit} > 0`,
          ],
    summary: `{{ $labels.datastore }}: ${what} near its limit`,
    description: `${what} of {{ $labels.datastore }} has been above the threshold of its limit for 5 minutes.`,
    test: (t, ctx): AlertTestPlan => {
      const store = (ctx.natsStores ?? [])[0] ?? "nats";
      const max = 1_000_000_000;
      const at = (percent: number) => natsSeries(store, { [used]: gauge((max * percent) / 100), [limit]: gauge(max) });
      return { firing: at(past(t)), silent: at(within(t)), steadyMinutes: 0, labels: storeLabels(store) };
    },
  };
}

export function natsAlertDefinitions(): AlertDefinition[] {
  return [
    {
      name: "NatsServerDown",
      group: "datastores",
      engine: "nats",
      severity: "critical",
      forSeconds: 60,
      // The blackbox exporter's probe of NATS's own /healthz, not the exporter's varz series:
      // prometheus-nats-exporter keeps serving the last values it read when /varz stops
      // answering, so their absence never comes. A probe series that is missing (no probe job,
      // the blackbox exporter not scraped) fires too, rather than hiding a dead server.
      expr: (_, ctx) =>
        (ctx.natsHealthProbes ?? []).map((s) => {
          const probe = `probe_success{${healthMatcher(s)}}`;
          return `${probe} == 0 or absent(${probe})`;
        }),
      summary: "{{ $labels.datastore }} (NATS) is down",
      description:
        "The blackbox exporter gets no healthy answer from the /healthz of {{ $labels.datastore }} on its monitoring port, or that probe is not scraped at all.",
      test: (_, ctx): AlertTestPlan[] => {
        const store = (ctx.natsHealthProbes ?? [])[0] ?? "nats";
        // What the exporter serves whether the server is up or not: the last values it read.
        const varz = natsSeries(store, { connections: gauge(3), max_connections: gauge(65536) });
        const probe = (up: number): InputSeries => ({
          series: `probe_success{${healthMatcher(store)},instance="http://${store}:8222/healthz"}`,
          values: gauge(up),
        });
        return [
          {
            firing: [probe(0), ...varz],
            silent: [probe(1), ...varz],
            steadyMinutes: 0,
            labels: { job: natsHealthJob(store), instance: `http://${store}:8222/healthz`, datastore: store },
          },
          // No probe series at all while the varz series go on.
          {
            firing: varz,
            silent: undefined,
            steadyMinutes: 0,
            labels: { job: natsHealthJob(store), datastore: store },
          },
        ];
      },
    },
    {
      name: "NatsSlowConsumers",
      group: "datastores",
      engine: "nats",
      severity: "warning",
      forSeconds: 0,
      threshold: 0,
      unit: "slow consumers in 5 minutes",
      expr: (t, ctx) =>
        (ctx.natsStores ?? []).length === 0
          ? []
          : [`increase(gnatsd_varz_slow_consumers{${storeMatcher(ctx)}}[5m]) > ${t}`],
      summary: "{{ $labels.datastore }}: slow consumers",
      description:
        "NATS disconnected clients of {{ $labels.datastore }} that could not keep up (slow consumers); their messages were dropped.",
      test: (_, ctx) => {
        const store = (ctx.natsStores ?? [])[0] ?? "nats";
        return {
          firing: natsSeries(store, { slow_consumers: counter(1) }),
          // Slow consumers seen long ago (a constant count) do not fire.
          silent: natsSeries(store, { slow_consumers: gauge(7) }),
          steadyMinutes: 5,
          labels: storeLabels(store),
        };
      },
    },
    ratioAlert(
      "NatsJetStreamStorageHigh",
      "NatsJetStreamStorage",
      "warning",
      80,
      "jetstream_stats_storage",
      "jetstream_config_max_storage",
      "JetStream's file store",
    ),
    ratioAlert(
      "NatsJetStreamStorageCritical",
      "NatsJetStreamStorage",
      "critical",
      95,
      "jetstream_stats_storage",
      "jetstream_config_max_storage",
      "JetStream's file store",
    ),
    ratioAlert(
      "NatsJetStreamMemoryHigh",
      "NatsJetStreamMemory",
      "warning",
      80,
      "jetstream_stats_memory",
      "jetstream_config_max_memory",
      "JetStream's memory store",
    ),
    ratioAlert(
      "NatsConnectionsHigh",
      "NatsConnections",
      "warning",
      80,
      "connections",
      "max_connections",
      "The client connections",
    ),
  ];
}
