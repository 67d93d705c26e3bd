// Workloads as Docker container settings: plain data built without Pulumi, so it is tested
// directly. The component (./index.ts) adds images, volumes, secrets and ordering.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContainerSpec, Probe, ScheduledJob, VolumeSpec, Workload } from "../../workloads/model";
import { LOG_LINE_LABELS } from "../../workloads/labels";

export interface DockerContext {
  /** The Pulumi stack: names of containers, volumes and the network start with ops-baseline-<stack>. */
  stack: string;
  bindAddress: string;
  networkName: string;
}

export function containerName(ctx: DockerContext, name: string, replica = 0): string {
  return replica === 0 ? `ops-baseline-${ctx.stack}-${name}` : `ops-baseline-${ctx.stack}-${name}-${replica}`;
}

export function volumeName(ctx: DockerContext, owner: string, volume: string): string {
  return `ops-baseline-${ctx.stack}-${owner}-${volume}`;
}

/**
 * A probe as a Docker healthcheck command. HTTP and TCP checks use bash's /dev/tcp, which every
 * Debian-based image has, so no curl or wget is needed inside the image.
 */
export function healthcheckTest(p: Probe, ports: Workload["ports"]): string[] {
  const portOf = (name: string) => ports.find((x) => x.name === name)?.containerPort ?? Number(name);
  switch (p.check.type) {
    case "exec":
      return ["CMD", ...p.check.command];
    case "tcp":
      return ["CMD", "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${portOf(p.check.port)}`];
    case "http":
      return [
        "CMD",
        "bash",
        "-c",
        `exec 3<>/dev/tcp/127.0.0.1/${portOf(p.check.port)} && ` +
          `printf 'GET ${p.check.path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && ` +
          `head -n1 <&3 | grep -q ' 200 '`,
      ];
  }
}

export interface HealthcheckSettings {
  tests: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}

/**
 * Docker has one healthcheck per container: the readiness check (what dependents wait for), with
 * the startup check's budget as the start period.
 */
export function healthcheckFor(w: Workload): HealthcheckSettings | undefined {
  const p = w.health.readiness ?? w.health.liveness;
  if (!p) return undefined;
  const startup = w.health.startup;
  const startPeriod = startup ? startup.periodSeconds * startup.failureThreshold : p.initialDelaySeconds;
  return healthcheckSettings(p, w.ports, startPeriod);
}

/** A probe as Docker healthcheck settings, durations in the form the provider reads back. */
export function healthcheckSettings(
  p: Probe,
  ports: Workload["ports"],
  startPeriodSeconds: number,
): HealthcheckSettings {
  return {
    tests: healthcheckTest(p, ports),
    interval: goDuration(p.periodSeconds),
    timeout: goDuration(p.timeoutSeconds),
    retries: p.failureThreshold,
    startPeriod: goDuration(startPeriodSeconds),
  };
}

/**
 * Seconds as Go's time.Duration.String() writes them ("45s", "2m0s", "1h0m0s", "250ms"). The
 * Docker provider reads healthcheck durations back from the engine in this form; any other
 * spelling of the same duration ("120s") is a difference on every later preview, and a
 * healthcheck difference replaces the container.
 */
export function goDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`not a duration: ${seconds} s`);
  const ms = Math.round(seconds * 1000);
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const rest = ms % 60_000;
  const s = rest % 1000 === 0 ? String(rest / 1000) : (rest / 1000).toFixed(3).replace(/0+$/, "");
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export function logOptions(spec: { logPolicy: Workload["logPolicy"] }): Record<string, string> {
  return {
    // The container's name and environment labels in every line, for the log collector.
    labels: LOG_LINE_LABELS.join(","),
    "max-file": String(spec.logPolicy.maxFiles),
    "max-size": `${Math.max(1, Math.floor(spec.logPolicy.maxSizeBytes / 1024))}k`,
  };
}

export interface MountSetting {
  target: string;
  type: "volume" | "tmpfs" | "bind";
  source?: string;
  readOnly?: boolean;
  tmpfsSizeBytes?: number;
}

export function mountsFor(ctx: DockerContext, owner: string, spec: ContainerSpec): MountSetting[] {
  const mounts: MountSetting[] = spec.volumes.map((v: VolumeSpec) => {
    if (v.hostPath) return { target: v.mountPath, type: "bind", source: v.hostPath, readOnly: v.readOnly };
    if (v.sharedFrom) {
      return {
        target: v.mountPath,
        type: "volume",
        source: volumeName(ctx, v.sharedFrom.workload, v.sharedFrom.volume),
        readOnly: v.readOnly,
      };
    }
    if (v.persistent) {
      return { target: v.mountPath, type: "volume", source: volumeName(ctx, owner, v.name), readOnly: v.readOnly };
    }
    return { target: v.mountPath, type: "tmpfs", tmpfsSizeBytes: v.sizeBytes };
  });
  if (spec.securityContext.readOnlyRootFilesystem && !spec.volumes.some((v) => v.mountPath === "/tmp")) {
    mounts.push({ target: "/tmp", type: "tmpfs", tmpfsSizeBytes: 64 * 1024 ** 2 });
  }
  return mounts.sort((a, b) => a.target.localeCompare(b.target));
}

export function userFor(spec: ContainerSpec): string | undefined {
  const { runAsUser, runAsGroup } = spec.securityContext;
  if (runAsUser === undefined) return undefined;
  return runAsGroup === undefined ? String(runAsUser) : `${runAsUser}:${runAsGroup}`;
}

export function memoryMegabytes(spec: ContainerSpec): number {
  return Math.max(6, Math.ceil(spec.resources.memoryLimitBytes / 1024 ** 2));
}

/**
 * The CPU limit as the Docker provider reads it back from the engine: a decimal with at least
 * one fractional digit ("1.0", "0.5", "0.25", "2.0"). Writing "1" would differ from the "1.0"
 * read back on every later preview, and a `cpus` difference replaces the container.
 */
export function cpus(spec: ContainerSpec): string {
  const text = (spec.resources.cpuLimitMillicores / 1000).toFixed(3).replace(/0+$/, "");
  return text.endsWith(".") ? `${text}0` : text;
}

export function plainEnv(spec: ContainerSpec): string[] {
  return Object.entries(spec.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

/** Job command wrapped by the scheduler that runs it on its cron schedule inside one container. */
export function scheduledCommand(job: ScheduledJob, scheduler: string[]): string[] {
  return [...scheduler, job.schedule, "--", ...(job.command ?? []), ...(job.args ?? [])];
}

/**
 * A digest of what a local image is built from, as a container label: a change to the build
 * context replaces the containers, although the image tag stays the same.
 */
export function buildContextDigest(
  repoRoot: string,
  context: string,
  dockerfile: string,
  args: Record<string, string> = {},
): string {
  const hash = crypto.createHash("sha256");
  hash.update(JSON.stringify(Object.entries(args).sort(([a], [b]) => a.localeCompare(b))));
  const contextDir = path.resolve(repoRoot, context);
  const files = [path.resolve(repoRoot, dockerfile), ...listContext(contextDir)];
  for (const file of [...new Set(files)].sort()) {
    hash.update(path.relative(repoRoot, file));
    hash.update("\0");
    hash.update(fs.readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Files Docker would send for a context. Supports the .dockerignore form used here: `*` followed
 * by `!dir/` lines that bring directories back; without a .dockerignore every file counts.
 */
function listContext(contextDir: string): string[] {
  const ignoreFile = path.join(contextDir, ".dockerignore");
  const roots: string[] = [];
  if (fs.existsSync(ignoreFile)) {
    const lines = fs
      .readFileSync(ignoreFile, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    if (lines[0] === "*") {
      for (const line of lines.slice(1)) {
        if (line.startsWith("!")) roots.push(path.join(contextDir, line.slice(1)));
      }
    }
  }
  const walk = (p: string): string[] => {
    if (!fs.existsSync(p)) return [];
    const stat = fs.statSync(p);
    if (stat.isFile()) return [p];
    return fs
      .readdirSync(p)
      .filter((e) => e !== "node_modules" && e !== ".git")
      .flatMap((e) => walk(path.join(p, e)));
  };
  return (roots.length > 0 ? roots : [contextDir]).flatMap(walk);
}

/** Everything about one container that does not involve a secret value, target-neutral data. */
export interface ContainerRunSpec {
  image: string;
  /** Kubernetes semantics: `command` replaces the image's entrypoint, `args` its CMD. */
  entrypoint?: string[];
  args?: string[];
  workingDir?: string;
  env: string[];
  secretEnv: ContainerSpec["secretEnv"];
  files: Array<{ path: string; content: string; mode: number }>;
  /** Templates with `${secret:<name>}`; uploaded files belong to root, so they stay world-readable. */
  secretFiles: Array<{ path: string; template: string; mode: number }>;
  user?: string;
  readOnly: boolean;
  memoryMegabytes: number;
  cpus: string;
  logOptions: Record<string, string>;
  mounts: MountSetting[];
  labels: Record<string, string>;
}

export function containerRunSpec(
  ctx: DockerContext,
  owner: string,
  spec: ContainerSpec & { logPolicy: Workload["logPolicy"] },
  buildDigest: string | undefined,
  labels: Record<string, string>,
): ContainerRunSpec {
  return {
    image: spec.image.ref,
    entrypoint: spec.command,
    args: spec.args,
    workingDir: spec.workingDir,
    env: plainEnv(spec),
    secretEnv: spec.secretEnv,
    files: spec.files.map((f) => ({ path: f.path, content: f.content, mode: f.mode })),
    secretFiles: spec.secretFiles.map((f) => ({ path: f.path, template: f.template, mode: f.mode | 0o444 })),
    user: userFor(spec),
    // Docker refuses to copy files into a read-only root before start, so a container that
    // receives files keeps a writable root here (it still runs as its non-root user with every
    // capability dropped); Kubernetes mounts the same files into a read-only root.
    readOnly: spec.securityContext.readOnlyRootFilesystem && spec.files.length === 0 && spec.secretFiles.length === 0,
    memoryMegabytes: memoryMegabytes(spec),
    cpus: cpus(spec),
    logOptions: logOptions(spec),
    mounts: mountsFor(ctx, owner, spec),
    labels: {
      ...labels,
      ...(buildDigest ? { "ops-baseline/build-context-sha256": buildDigest } : {}),
      "ops-baseline/secret-env": spec.secretEnv.map((s) => s.name).join(","),
    },
  };
}

/** `NAME=value` entries for secret environment variables; throws naming a secret that is not set. */
export function secretEnvEntries(
  owner: string,
  secretEnv: ContainerSpec["secretEnv"],
  secrets: Record<string, string>,
): string[] {
  return secretEnv.map((s) => {
    const value = secrets[s.secret];
    if (value === undefined) throw new Error(`${owner}: secret "${s.secret}" is not set`);
    return `${s.name}=${value}`;
  });
}

/** Workloads in start order: each after the ones it depends on (names break ties). */
export function orderByDependencies(workloads: Workload[]): Workload[] {
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const done = new Set<string>();
  const out: Workload[] = [];
  const visit = (w: Workload) => {
    if (done.has(w.name)) return;
    done.add(w.name);
    for (const dep of [...w.dependsOn].sort()) {
      const d = byName.get(dep);
      if (d) visit(d);
    }
    out.push(w);
  };
  for (const w of [...workloads].sort((a, b) => a.name.localeCompare(b.name))) visit(w);
  return out;
}
