// Data stores through their exporters: connections against the maximum, and whether they answer.
import type { DataStoreEngine } from "../../workloads/context";
import type { AlertContext, AlertDefinition } from "./types";
import { above, gauge, inside, stateSeries } from "./series";

/** Whether the stack has a data store of this engine watched by its exporter. */
export function engineWatched(ctx: AlertContext, engine: DataStoreEngine): boolean {
  return ctx.watchedEngines?.includes(engine) ?? true;
}

/** The alert of one engine: no rule (and so no test or runbook section) where it is not watched. */
function ofEngine(engine: DataStoreEngine, alert: AlertDefinition): AlertDefinition {
  return { ...alert, engine, expr: (t, ctx) => (engineWatched(ctx, engine) ? alert.expr(t, ctx) : []) };
}

export const DATASTORE_ALERTS: AlertDefinition[] = [
  ...(
    [
      ["PostgresConnectionsWarning", "warning", 80],
      ["PostgresConnectionsCritical", "critical", 95],
    ] as const
  ).map(
    ([name, severity, threshold]): AlertDefinition =>
      ofEngine("postgresql", {
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
    ([name, severity, threshold]): AlertDefinition =>
      ofEngine("redis", {
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
      ["PostgresDown", "pg_up", "postgres-exporter:9187", "postgres", "postgresql"],
      ["RedisDown", "redis_up", "redis-exporter:9121", "redis", "redis"],
    ] as const
  ).map(
    ([name, metric, instance, datastore, engine]): AlertDefinition =>
      ofEngine(engine, {
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
];
