// Workloads of a plan as real containers on the local Docker engine, created through the Docker
// CLI with the settings the Docker target computes (components/targets/docker/containers.ts),
// on a network of their own. Everything a sandbox creates carries its prefix and is removed by
// teardown(); nothing else on the shared engine is touched.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  containerName,
  containerRunSpec,
  healthcheckFor,
  secretEnvEntries,
  type DockerContext,
} from "../../components/targets/docker/containers";
import { fillSecretTemplate } from "../../components/targets/secrets";
import { podsServiceName, type ImageSpec, type Workload } from "../../components/workloads/model";
import { buildImage, docker } from "./docker";
import { REPO_ROOT } from "./stack-files";

/** Copies files into a container as one tar stream (directories are created as needed). */
export function upload(container: string, files: Array<{ path: string; content: string; mode: number }>): void {
  if (files.length === 0) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ops-baseline-upload-"));
  try {
    for (const f of files) {
      const target = path.join(dir, f.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, f.content, { mode: f.mode });
      fs.chmodSync(target, f.mode);
    }
    const tar = spawnSync("tar", ["-C", dir, "--owner=0", "--group=0", "-cf", "-", "."], {
      maxBuffer: 256 * 1024 ** 2,
    });
    docker(["cp", "-", `${container}:/`], tar.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const quote = (arg: string) => (/^[A-Za-z0-9_./:=,@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export class DockerSandbox {
  readonly ctx: DockerContext;
  private readonly created: string[] = [];
  private readonly volumes = new Set<string>();

  constructor(prefix: string) {
    const stack = `${prefix}${process.pid}`;
    this.ctx = { stack, bindAddress: "127.0.0.1", networkName: `ops-baseline-${stack}` };
  }

  /** Engine running, local Debian base present, the network created. */
  start(): void {
    for (const script of ["scripts/docker-engine.sh", "images/base/build.sh"]) {
      const r = spawnSync("bash", [path.join(REPO_ROOT, script)], { encoding: "utf8" });
      assert.equal(r.status, 0, `${script}: ${r.stderr}`);
    }
    docker(["network", "create", this.ctx.networkName]);
  }

  /** Builds an image from the repository, as the Docker target does for a dev stack. */
  build(image: ImageSpec): void {
    buildImage(image);
  }

  name(workload: string): string {
    return containerName(this.ctx, workload);
  }

  /** Creates and starts a workload's container with its files, secret files and healthcheck. */
  run(w: Workload, secrets: Record<string, string>, extraFiles: Array<{ path: string; content: string }> = []): string {
    const name = this.name(w.name);
    const run = containerRunSpec(this.ctx, w.name, w, undefined, w.labels);
    const args = ["create", "--name", name, "--network", this.ctx.networkName, "--init"];
    args.push("--network-alias", w.name, "--network-alias", podsServiceName(w.name));
    if (run.user) args.push("--user", run.user);
    if (run.readOnly) args.push("--read-only");
    args.push("--memory", `${run.memoryMegabytes}m`, "--memory-swap", `${run.memoryMegabytes}m`, "--cpus", run.cpus);
    args.push("--cap-drop", "ALL", "--security-opt", "no-new-privileges:true");
    for (const e of [...run.env, ...secretEnvEntries(name, run.secretEnv, secrets)]) args.push("--env", e);
    for (const m of run.mounts) {
      if (m.type === "tmpfs") args.push("--tmpfs", `${m.target}:size=${m.tmpfsSizeBytes},mode=1777`);
      else if (m.type === "volume") {
        args.push("--mount", `type=volume,src=${m.source},dst=${m.target}`);
        if (!this.volumes.has(m.source!)) docker(["volume", "create", m.source!]);
        this.volumes.add(m.source!);
      }
    }
    const h = healthcheckFor(w);
    if (h) {
      const [, ...command] = h.tests;
      args.push("--health-cmd", command.map(quote).join(" "), "--health-interval", "1s", "--health-timeout", h.timeout);
      args.push("--health-retries", String(h.retries));
    }
    const entrypoint = run.entrypoint;
    const cmd = [...(entrypoint ?? []), ...(run.args ?? [])];
    if (entrypoint?.length) args.push("--entrypoint", entrypoint[0]);
    args.push(run.image, ...(entrypoint?.length ? cmd.slice(1) : cmd));
    docker(args);
    this.created.push(name);
    this.upload(name, [
      ...run.files,
      ...run.secretFiles.map((f) => ({
        path: f.path,
        mode: f.mode,
        content: fillSecretTemplate(f.template, secrets, name),
      })),
      ...extraFiles.map((f) => ({ ...f, mode: 0o444 })),
    ]);
    docker(["start", name]);
    return name;
  }

  upload(container: string, files: Array<{ path: string; content: string; mode: number }>): void {
    upload(container, files);
  }

  waitHealthy(container: string, seconds: number): Promise<void> {
    return waitHealthy(container, seconds);
  }

  ip(container: string): string {
    return docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container]);
  }

  teardown(): void {
    for (const name of this.created.reverse()) spawnSync("docker", ["rm", "-f", "-v", name]);
    for (const v of this.volumes) spawnSync("docker", ["volume", "rm", "-f", v]);
    spawnSync("docker", ["network", "rm", this.ctx.networkName]);
  }
}

/** Waits until a container is healthy (or running, without a healthcheck); fails with its last log lines. */
export async function waitHealthy(container: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let status = "";
  while (Date.now() < deadline) {
    status = docker([
      "inspect",
      "-f",
      "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.Status}}",
      container,
    ]);
    if (status.startsWith("healthy") || status.startsWith("none running")) return;
    if (status.endsWith("exited")) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const logs = spawnSync("docker", ["logs", "--tail", "20", container], { encoding: "utf8" });
  throw new Error(`${container} is not healthy (${status}):\n${logs.stdout}${logs.stderr}`);
}

export async function poll<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

/** Value of one series in Prometheus text exposition, or undefined when absent. */
export function sampleOf(text: string, metric: string, labelFilter = ""): number | undefined {
  const line = text
    .split("\n")
    .find((l) => (l.startsWith(`${metric}{`) || l.startsWith(`${metric} `)) && l.includes(labelFilter));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}
