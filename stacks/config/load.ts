// Loading a stack file: environment defaults merged under it, the zod schema, then the checks
// that span several keys (depends-on, host ports, secret references, replicas). Every problem is
// reported at once, one line each, naming the stack file, the key path and what would be right.
// Nothing here registers a resource, so a bad file fails before anything is deployed.
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { catalogueNames } from "../../components/alerts/catalogue";
import { unknownOverrides } from "../../components/alerts/rules";
import type { AttachedText } from "../../components/alerts/config";
import { BURN_ALERTS, sloSignalProblems } from "../../components/alerts/slo";
import { resolveSignals } from "../../components/alerts/signals";
import { entrypointProblems, entrypointSecretUses } from "../../components/entrypoints/validate";
import { jobProblems } from "../../components/jobs/config";
import { logFileProblems } from "../../components/logging/logrotate";
import { natsProblems } from "../../components/services/nats";
import { isStatefulService, serviceFsGroup } from "../../components/services/config";
import { backupSecretUses } from "../../components/backup/concern";
import { postgresImageProblems, redisVersionProblems } from "../../components/backup/images";
import { loadCustomAlerts } from "./custom-alerts";
import { resolveBuildPaths } from "./build-paths";
import { applyEnvironmentDefaults, isPlainObject, type RawConfig } from "./defaults";
import { name as nameField } from "../../components/fields";
import { integrationProblems, placeServices } from "./integrations";
import { missingReceiverMessage, receiverProblems } from "./receivers";
import { platformProblems } from "./platform";
import { ConfigError, NAMESPACE, type ConfigProblem } from "./problems";
import { PROFILES, SECRET_LOOKING_ENV, stackConfigSchema, type ProfileName, type StackConfig } from "./schema";

export { ConfigError, formatProblems, NAMESPACE, type ConfigProblem } from "./problems";

export interface StackFileInput {
  /** File name used in messages, e.g. "Pulumi.prod.yaml". */
  file: string;
  stack: string;
  /** The namespace's keys with their values (objects already parsed), prefix removed. */
  values: RawConfig;
  /** Paths below `secrets` whose values are encrypted (`secure:`) in the stack file. */
  encryptedSecrets: Set<string>;
  /** Directory of the stack file: files it names (runbook text) are relative to it. Default: cwd. */
  dir?: string;
  /**
   * The package's root, when the program runs from the installed package: builds the stack file
   * states resolve against `dir`, the ones the package supplies against this (build-paths.ts).
   * Without it build paths stay as written, relative to the directory the program runs in.
   */
  packageDir?: string;
  /** The stack file's keys outside the namespace ("kubernetes:context", a misspelt "ops-baselin:foo"). */
  otherKeys?: string[];
}

/** Validates a stack file; returns the typed config or throws ConfigError with every problem. */
export function loadStackConfig(input: StackFileInput): StackConfig {
  const problems: ConfigProblem[] = [];
  const profile = resolveProfile(input, problems);
  problems.push(...namespaceProblems(input.otherKeys ?? []));
  if (!profile) throw new ConfigError(input.file, sortProblems(problems));

  const merged = applyEnvironmentDefaults(profile, input.stack, input.values);
  const result = stackConfigSchema.safeParse(merged);
  if (!result.success) {
    problems.push(...result.error.issues.flatMap((issue) => describeIssue(issue, merged, input.file)));
    throw new ConfigError(input.file, sortProblems(problems));
  }
  const data =
    input.packageDir === undefined
      ? result.data
      : resolveBuildPaths(result.data, input.values, {
          projectDir: input.dir ?? process.cwd(),
          packageDir: input.packageDir,
        });
  problems.push(...crossCheck(data, input), ...integrationProblems(data));
  if (problems.length > 0) throw new ConfigError(input.file, sortProblems(problems));
  // What the platform would refuse at deploy, read from the plan of the stack as it is placed.
  const placed = placeServices(data);
  const platform = platformProblems(placed);
  if (platform.length > 0) throw new ConfigError(input.file, sortProblems(platform));
  return placed;
}

/**
 * The defaults profile: `profile:` in the file, else the stack name when it is dev or prod. The
 * environment name is always the stack name, so it must fit labels, object names and namespaces.
 */
function resolveProfile(input: StackFileInput, problems: ConfigProblem[]): ProfileName | undefined {
  const allowed = PROFILES.join(", ");
  const declared = input.values.profile;
  if ("environment" in input.values) {
    problems.push({
      path: "environment",
      message: `is not a stack file key: the environment name is the stack name ("${input.stack}"); pick the defaults with ${NAMESPACE}:profile: one of ${allowed}`,
    });
  }
  if (!nameField().safeParse(input.stack).success) {
    problems.push({
      path: "profile",
      message: `stack name "${input.stack}" is the environment name in labels, object names and namespaces, so it must be a lowercase name of letters, digits and '-' starting with a letter (at most 40 characters); rename the stack file`,
    });
  }
  let profile: ProfileName | undefined;
  if (declared === undefined) {
    if ((PROFILES as readonly unknown[]).includes(input.stack)) profile = input.stack as ProfileName;
    else {
      problems.push({
        path: "profile",
        message: `is not set, and stack "${input.stack}" is not named after a profile; set ${NAMESPACE}:profile to one of ${allowed} (dev: dev-like defaults on Docker, prod: prod-like defaults on Kubernetes; target may be set either way)`,
      });
    }
  } else if ((PROFILES as readonly unknown[]).includes(declared)) profile = declared as ProfileName;
  else problems.push({ path: "profile", message: `must be one of ${allowed}, not ${JSON.stringify(declared)}` });
  return problems.length === 0 ? profile : undefined;
}

/**
 * Keys under a namespace that is nearly the project's: Pulumi hands them to no program and says
 * nothing, so a misspelt `ops-baselin:services` would deploy a stack without its services.
 */
function namespaceProblems(otherKeys: string[]): ConfigProblem[] {
  return [...otherKeys].sort().flatMap((fullKey) => {
    const colon = fullKey.indexOf(":");
    if (colon < 0) return [];
    const [ns, key] = [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
    const near = ns.toLowerCase() === NAMESPACE || editDistance(ns.toLowerCase(), NAMESPACE) <= 3;
    if (!near || ns === NAMESPACE) return [];
    return [
      {
        path: key,
        key: fullKey,
        message: `is under the namespace "${ns}", which no program reads (Pulumi ignores it without a word); did you mean ${NAMESPACE}:${key}?`,
      },
    ];
  });
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// ---- zod issues to messages -------------------------------------------------------------

function describeIssue(issue: z.core.$ZodIssue, data: RawConfig, file: string): ConfigProblem[] {
  const path = issue.path.map(String);
  if (valueAt(data, path) === undefined) {
    const message = missingReceiverMessage(path.join("."), file, String(data.environment), String(data.profile));
    if (message) return [{ path: path.join("."), message }];
  }
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(stackConfigSchema, path, data);
    return issue.keys.map((key) => ({
      path: [...path, key].join("."),
      message: `unknown key${suggest(key, known)}${known.length > 0 ? `; expected one of: ${known.join(", ")}` : ""}`,
    }));
  }
  if (issue.code === "invalid_type" && valueAt(data, path) === undefined) {
    return [{ path: path.join("."), message: `is required (${issue.expected})` }];
  }
  return [{ path: path.join(".") || "(top level)", message: issue.message }];
}

function valueAt(data: unknown, path: string[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (isPlainObject(cur)) cur = cur[key];
    else if (Array.isArray(cur)) cur = cur[Number(key)];
    else return undefined;
  }
  return cur;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- walks zod's internal definitions */
function knownKeysAt(schema: any, path: string[], data: unknown): string[] {
  let cur: any = schema;
  let value: unknown = data;
  const unwrap = () => {
    for (;;) {
      const def = cur?._zod?.def;
      if (!def) return;
      if (def.type === "optional" || def.type === "default" || def.type === "nullable") cur = def.innerType;
      else if (def.type === "pipe") cur = def.in;
      else if (def.type === "union" && isPlainObject(value)) {
        const options: any[] = def.options;
        const disc = def.discriminator as string | undefined;
        cur =
          options.find(
            (o) => disc && o._zod.def.shape?.[disc]?._zod.def.values?.includes((value as RawConfig)[disc]),
          ) ?? options[0];
      } else return;
    }
  };
  for (const key of [...path, ""]) {
    unwrap();
    const def = cur?._zod?.def;
    if (key === "") break;
    if (def?.type === "object") cur = def.shape[key];
    else if (def?.type === "record") cur = def.valueType;
    else if (def?.type === "array") cur = def.element;
    else return [];
    value = isPlainObject(value) ? value[key] : Array.isArray(value) ? value[Number(key)] : undefined;
  }
  const def = cur?._zod?.def;
  return def?.type === "object" ? Object.keys(def.shape).sort() : [];
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function suggest(key: string, known: string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? ` (did you mean "${best}"?)`
    : "";
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

// ---- checks across keys ------------------------------------------------------------------

function crossCheck(config: StackConfig, input: StackFileInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  for (const store of Object.keys(config.dataStores)) {
    if (store in config.services) add(`dataStores.${store}`, `"${store}" is also a service; names must be unique`);
  }
  if (config.monitoring.scrapeTimeout > config.monitoring.scrapeInterval) {
    add(
      "monitoring.scrapeTimeout",
      `${config.monitoring.scrapeTimeout}s is longer than monitoring.scrapeInterval (${config.monitoring.scrapeInterval}s); Prometheus requires a timeout no longer than the interval`,
    );
  }
  problems.push(...alertProblems(config));
  problems.push(...receiverProblems(config, input.stack));
  problems.push(...loadCustomAlerts(config, input.dir ?? process.cwd()));
  problems.push(...attachedTextProblems(config, input.dir ?? process.cwd()));
  problems.push(...redisVersionProblems(config), ...postgresImageProblems(config));
  problems.push(...logFileProblems(config));
  problems.push(...entrypointProblems(config));
  problems.push(...natsProblems(config.dataStores));
  // NatsServerDown reads the blackbox exporter's probe of each NATS server's /healthz: without
  // the exporter, a stopped NATS server would page nobody.
  const nats = Object.keys(config.dataStores).filter((n) => config.dataStores[n].engine === "nats");
  if (nats.length > 0 && !config.monitoring.exporters.blackbox.enabled) {
    add(
      "monitoring.exporters.blackbox.enabled",
      `is false, and ${nats.map((n) => `dataStores.${n}`).join(", ")} is NATS, whose NatsServerDown alert reads the blackbox exporter's probe of /healthz: without it a stopped NATS server pages nobody; set monitoring.exporters.blackbox.enabled to true`,
    );
  }
  problems.push(...jobProblems(config.jobs, config));
  for (const [jobName, job] of Object.entries(config.jobs)) problems.push(...plainEnvProblems(`jobs.${jobName}`, job));
  problems.push(...backupReferenceProblems(config));
  problems.push(...secretProblems(config, input));
  problems.push(...serviceProblems(config));
  // Start order must be a DAG; report each cycle once.
  const cycle = findCycle(Object.fromEntries(Object.entries(config.services).map(([n, s]) => [n, s.dependsOn])));
  if (cycle) add(`services.${cycle[0]}.dependsOn`, `forms a cycle: ${cycle.join(" -> ")}`);

  return problems;
}

/** Every secret the stack file names, with the keys that name it. */
function secretUses(config: StackConfig): Map<string, string[]> {
  const secretUse = new Map<string, string[]>();
  const useSecret = (secret: string, usedAt: string) =>
    secretUse.set(secret, [...(secretUse.get(secret) ?? []), usedAt]);
  for (const [svcName, svc] of Object.entries(config.services)) {
    for (const [envName, secret] of Object.entries(svc.secretEnv))
      useSecret(secret, `services.${svcName}.secretEnv.${envName}`);
  }
  for (const [storeName, store] of Object.entries(config.dataStores)) {
    if (store.passwordSecret !== undefined) useSecret(store.passwordSecret, `dataStores.${storeName}.passwordSecret`);
    if (store.engine === "postgresql") {
      for (const [role, spec] of Object.entries(store.roles)) {
        if (spec) useSecret(spec.passwordSecret, `dataStores.${storeName}.roles.${role}.passwordSecret`);
      }
    }
  }
  for (const [secret, at] of entrypointSecretUses(config)) useSecret(secret, at);
  for (const [jobName, job] of Object.entries(config.jobs)) {
    for (const [envName, secret] of Object.entries(job.secretEnv))
      useSecret(secret, `jobs.${jobName}.secretEnv.${envName}`);
  }
  for (const [secret, at] of backupSecretUses(config)) useSecret(secret, at);
  if (config.monitoring.enabled) {
    if (config.monitoring.grafana.enabled) {
      useSecret(config.monitoring.grafana.adminPasswordSecret, "monitoring.grafana.adminPasswordSecret");
    }
    for (const [name, receiver] of Object.entries(config.monitoring.alertmanager.receivers)) {
      for (const [key, value] of Object.entries(receiver)) {
        if (key.endsWith("Secret") && typeof value === "string") {
          useSecret(value, `monitoring.alertmanager.receivers.${name}.${key}`);
        }
      }
    }
  }
  return secretUse;
}

/** Secret references: declared, and encrypted in the stack file. */
function secretProblems(config: StackConfig, input: StackFileInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const secretUse = secretUses(config);
  for (const [secret, usedAt] of [...secretUse.entries()].sort()) {
    if (!(secret in config.secrets)) {
      add(
        usedAt[0],
        `names secret "${secret}", which is not set; set it with: pulumi config set --secret --path 'secrets.${secret}' <value> --stack ${input.stack}`,
      );
    }
  }
  for (const secret of Object.keys(config.secrets).sort()) {
    if (!input.encryptedSecrets.has(secret)) {
      add(
        `secrets.${secret}`,
        `is in plain text in the stack file; remove it and set it with: pulumi config set --secret --path 'secrets.${secret}' <value> --stack ${input.stack}`,
      );
    }
  }

  return problems;
}

/** Backed-up volumes and data stores name what the stack declares. */
function backupReferenceProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  config.backup.volumes.forEach(({ service, volume }, i) => {
    const svc = config.services[service];
    const at = `backup.volumes.${i}`;
    if (!svc) add(`${at}.service`, `names no service; expected one of: ${Object.keys(config.services).join(", ")}`);
    else if (!svc.volumes.some((v) => v.name === volume && v.persistent)) {
      const persistent = svc.volumes.filter((v) => v.persistent).map((v) => v.name);
      add(
        `${at}.volume`,
        `is not a persistent volume of ${service}; expected one of: ${persistent.join(", ") || "(none)"}`,
      );
    }
  });
  for (const name of Object.keys(config.backup.dataStores)) {
    if (!(name in config.dataStores)) {
      add(
        `backup.dataStores.${name}`,
        `names no data store; expected one of: ${Object.keys(config.dataStores).join(", ") || "(none declared)"}`,
      );
    }
  }
  return problems;
}

/** Services: ports, start order, health checks, signals, replicas; host ports have one owner each. */
function serviceProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const workloadNames = [...Object.keys(config.services), ...Object.keys(config.dataStores)];
  // Host ports: one owner each, and only where the environment allows publishing.
  const hostPorts = new Map<number, string>();
  const claimHostPort = (hostPort: number | undefined, at: string) => {
    if (hostPort === undefined) return;
    if (!config.rules.allowHostPorts) {
      add(
        at,
        `publishes host port ${hostPort}, but rules.allowHostPorts is false in this environment; use a Service or ingress instead`,
      );
    }
    const owner = hostPorts.get(hostPort);
    if (owner) add(at, `host port ${hostPort} is already published by ${owner}; pick another port`);
    else hostPorts.set(hostPort, at);
  };

  for (const [svcName, svc] of Object.entries(config.services)) {
    const at = `services.${svcName}`;
    svc.ports.forEach((p, i) => claimHostPort(p.hostPort, `${at}.ports.${i}.hostPort`));
    const portNames = new Set(svc.ports.map((p) => p.name));
    const duplicated = svc.ports.map((p) => p.name).filter((n, i, all) => all.indexOf(n) !== i);
    for (const dup of new Set(duplicated)) add(`${at}.ports`, `port name "${dup}" is used twice`);

    for (const dep of svc.dependsOn) {
      if (!workloadNames.includes(dep)) {
        add(`${at}.dependsOn`, `"${dep}" is not a service or data store; expected one of: ${workloadNames.join(", ")}`);
      }
      if (dep === svcName) add(`${at}.dependsOn`, "a service cannot depend on itself");
    }
    for (const kind of ["liveness", "readiness", "startup"] as const) {
      const probe = svc.health[kind];
      if (!probe || probe.exec) continue;
      const portName = probe.port ?? svc.ports[0]?.name;
      if (portName === undefined || !portNames.has(portName)) {
        add(
          `${at}.health.${kind}.port`,
          `names no port of this service; expected one of: ${[...portNames].join(", ") || "(declare ports first)"}`,
        );
      }
    }
    if (!svc.health.liveness || !svc.health.readiness) {
      add(`${at}.health`, "needs both liveness and readiness checks so a stuck or unready process is noticed");
    }
    if (svc.signals && !svc.metrics) {
      add(`${at}.signals`, "the service has no metrics endpoint (services.<name>.metrics) to read signals from");
    }
    for (const p of resolveSignals(svc.signals).problems) add(`${at}.signals.${p.path}`, p.message);
    if (svc.metrics && !portNames.has(svc.metrics.port)) {
      add(`${at}.metrics.port`, `names no port of this service; expected one of: ${[...portNames].join(", ")}`);
    }
    // The minimum is for stateless services; a stateful one (a persistent volume) may run one.
    if (svc.replicas < config.rules.minReplicas && !isStatefulService(svc)) {
      add(
        `${at}.replicas`,
        `is ${svc.replicas}, below the ${config.environment} minimum of ${config.rules.minReplicas} for a stateless service (a service with a persistent volume is stateful and may run one)`,
      );
    }
    if (config.target.kind === "kubernetes" && isStatefulService(svc) && serviceFsGroup(svc) === undefined) {
      const volumes = svc.volumes.filter((v) => v.persistent).map((v) => v.name);
      add(
        `${at}.security.fsGroup`,
        `is not set, and the service has a persistent volume (${volumes.join(", ")}), which Kubernetes mounts owned by root: set security.fsGroup to the group the image's user writes as (docker run --rm --entrypoint id <image> shows it), or security.runAsUser / runAsGroup, whose group the volume then gets`,
      );
    }
    problems.push(...plainEnvProblems(at, svc));
    const volumeNames = svc.volumes.map((v) => v.name);
    for (const dup of new Set(volumeNames.filter((n, i) => volumeNames.indexOf(n) !== i))) {
      add(`${at}.volumes`, `volume name "${dup}" is used twice`);
    }
  }
  for (const [storeName, store] of Object.entries(config.dataStores)) {
    claimHostPort(store.hostPort, `dataStores.${storeName}.hostPort`);
  }
  // On Docker an entry point's port is published on the host by its proxy container.
  if (config.target.kind === "docker") {
    for (const [name, entry] of Object.entries(config.entrypoints))
      claimHostPort(entry.port, `entrypoints.${name}.port`);
  }

  return problems;
}

/** Runbook text files named in the stack file must exist and be files (relative to the stack file). */
/** Credential-looking names in plain `env`, and names set both there and in `secretEnv`. */
function plainEnvProblems(
  at: string,
  spec: { env: Record<string, string>; secretEnv: Record<string, string> },
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const envName of Object.keys(spec.env)) {
    if (SECRET_LOOKING_ENV.test(envName)) {
      problems.push({
        path: `${at}.env.${envName}`,
        message: `looks like a credential; move it to secretEnv (${envName}: <secret name>) so it comes from a Pulumi secret`,
      });
    }
  }
  for (const k of Object.keys(spec.secretEnv).filter((k) => k in spec.env)) {
    problems.push({ path: `${at}.secretEnv.${k}`, message: "is also set in env; keep one" });
  }
  return problems;
}

function attachedTextProblems(config: StackConfig, dir: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const attached: Array<[string, AttachedText | undefined]> = [
    ...Object.entries(config.services).map(([n, s]): [string, AttachedText | undefined] => [
      `services.${n}`,
      s.runbook,
    ]),
    ...Object.entries(config.dataStores).map(([n, s]): [string, AttachedText | undefined] => [
      `dataStores.${n}`,
      s.runbook,
    ]),
    ...Object.entries(config.alerts.runbooks).map(([n, a]): [string, AttachedText | undefined] => [
      `alerts.runbooks.${n}`,
      a,
    ]),
  ];
  for (const [at, text] of attached) {
    if (text?.file === undefined) continue;
    const file = path.resolve(dir, text.file);
    const path_ = at.startsWith("alerts.") ? `${at}.file` : `${at}.runbook.file`;
    if (!fs.existsSync(file)) {
      problems.push({ path: path_, message: `names ${text.file}, which does not exist (looked for ${file})` });
    } else if (!fs.statSync(file).isFile()) {
      problems.push({ path: path_, message: `names ${text.file}, which is not a file` });
    }
  }
  return problems;
}

function alertProblems(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = catalogueNames();
  const alertNames = [...known, ...BURN_ALERTS.map((a) => a.name)].sort();
  for (const name of Object.keys(config.alerts.runbooks)) {
    if (!alertNames.includes(name)) {
      problems.push({
        path: `alerts.runbooks.${name}`,
        message: `is not an alert of this project${suggest(name, alertNames)}; expected one of: ${alertNames.join(", ")}`,
      });
    }
  }
  for (const name of unknownOverrides(config.alerts)) {
    problems.push({
      path: `alerts.overrides.${name}`,
      message: `is not an alert of the catalogue${suggest(name, known)}; expected one of: ${known.join(", ")}`,
    });
  }
  for (const [service, slo] of Object.entries(config.alerts.slos)) {
    if (!(service in config.services)) {
      problems.push({
        path: `alerts.slos.${service}`,
        message: `names no service; expected one of: ${Object.keys(config.services).join(", ")}`,
      });
    } else if (!config.services[service].metrics) {
      problems.push({
        path: `alerts.slos.${service}`,
        message: "the service has no metrics endpoint to compute the objective from",
      });
    }
    const svc = config.services[service];
    if (svc?.metrics) {
      for (const p of sloSignalProblems(slo, resolveSignals(svc.signals).signals)) {
        problems.push({ path: `alerts.slos.${service}.${p.path}`, message: p.message });
      }
    }
  }
  return problems;
}

/** Returns one dependency cycle as a path that starts and ends at the same name, if any. */
export function findCycle(graph: Record<string, string[]>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "visiting") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "visiting");
    stack.push(node);
    for (const next of graph[node] ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of Object.keys(graph).sort()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}
