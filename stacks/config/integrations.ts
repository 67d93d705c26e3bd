// Optional services behind integration flags: `services.<n>.integration: <name>` places the
// service only when `integrations.<name>.enabled` is true. The stack file is validated whole
// (a service that is off must still be right); then the services that are off are taken out of
// the config, with every reference to them, so no concern sees them: no workload, scrape job,
// probe, alert, SLO, document row, network policy or entry-point route. A service that depends on an optional one
// keeps running without it (the runbooks' "depends on ... (optional)").
import type { CustomAlerts } from "../../components/alerts/custom";
import type { ConfigProblem } from "./problems";
import type { StackConfig } from "./schema";

/** A service that names an integration the stack file does not declare. */
export function integrationProblems(config: StackConfig): ConfigProblem[] {
  const declared = Object.keys(config.integrations).sort();
  return Object.entries(config.services)
    .filter(([, svc]) => svc.integration !== undefined && !(svc.integration in config.integrations))
    .map(([name, svc]) => ({
      path: `services.${name}.integration`,
      message: `names integration "${svc.integration}", which is not declared; declare integrations.${svc.integration} (enabled, variant)${declared.length > 0 ? ` or name one of: ${declared.join(", ")}` : ""}`,
    }));
}

/** Names of the services whose integration is off, sorted. */
export function servicesOff(config: StackConfig): string[] {
  return Object.entries(config.services)
    .filter(([, svc]) => svc.integration !== undefined && config.integrations[svc.integration]?.enabled !== true)
    .map(([name]) => name)
    .sort();
}

/** The config without the services whose integration is off, and without references to them. */
export function placeServices(config: StackConfig): StackConfig {
  const off = new Set(servicesOff(config));
  if (off.size === 0) return config;
  const services = Object.fromEntries(
    Object.entries(config.services)
      .filter(([name]) => !off.has(name))
      .map(([name, svc]) => [name, { ...svc, dependsOn: svc.dependsOn.filter((d) => !off.has(d)) }]),
  );
  return {
    ...config,
    services,
    alerts: {
      ...config.alerts,
      slos: Object.fromEntries(Object.entries(config.alerts.slos).filter(([name]) => !off.has(name))),
      custom: withoutRulesOf(config.alerts.custom, off),
    },
    backup: { ...config.backup, volumes: config.backup.volumes.filter((v) => !off.has(v.service)) },
    // A job that mounts a volume of a service that is off cannot run and is not placed; one that
    // only calls such a service keeps running without that path.
    jobs: Object.fromEntries(
      Object.entries(config.jobs)
        .filter(([, job]) => !job.volumes.some((v) => off.has(v.from)))
        .map(([name, job]) => [name, { ...job, connectsTo: job.connectsTo.filter((t) => !off.has(t)) }]),
    ),
    // An entry point loses its routes to services that are off; one left with none is not placed.
    entrypoints: Object.fromEntries(
      Object.entries(config.entrypoints)
        .map(([name, e]) => [name, { ...e, routes: e.routes.filter((r) => !off.has(r.service)) }] as const)
        .filter(([, e]) => e.routes.length > 0),
    ),
  };
}

/** The stack's own rules about services that are off are not placed, nor the tests of only those. */
function withoutRulesOf(custom: CustomAlerts, off: Set<string>): CustomAlerts {
  const dropped = new Set(
    custom.rules.filter((r) => r.service !== undefined && off.has(r.service)).map((r) => r.alert ?? r.record),
  );
  if (dropped.size === 0) return custom;
  return {
    ...custom,
    rules: custom.rules.filter((r) => !dropped.has(r.alert ?? r.record)),
    tests: custom.tests.filter((t) => !t.alert_rule_test.every((a) => dropped.has(a.alertname))),
  };
}
