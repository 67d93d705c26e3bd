// The containers of a Docker stack on the real engine, made the way the Docker target makes
// them: every image built from its Dockerfile on the local Debian base, every container created
// with the settings of components/targets/docker/containers.ts (limits, user, capped logs,
// healthchecks, mounts, files), started in depends-on order. Used by the dev stack's test and the
// example systems' (test/docker/dev-stack.real.test.ts, test/examples/example-stack.real.test.ts).
//
// The Pulumi engine's Docker provider cannot be obtained on this machine (toolchain/README.md),
// so this drives the Docker CLI itself; resource registration, diffs and ordering by the engine
// are not exercised.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fillSecretTemplate } from "../../components/targets/secrets";
import {
  containerName,
  containerRunSpec,
  healthcheckFor,
  scheduledCommand,
  secretEnvEntries,
  type ContainerRunSpec,
  type DockerContext,
} from "../../components/targets/docker/containers";
import { orderByDependencies } from "../../components/targets/docker";
import { podsServiceName, type ContainerSpec, type Workload } from "../../components/workloads/model";
import type { StackConfig } from "../../stacks/config/schema";
import { DOCKER_JOB_SCHEDULER } from "../../stacks/environment";
import type { EnvironmentPlan } from "../../stacks/plan";
import { buildImage, docker } from "./docker";
import { poll, upload, waitHealthy } from "./docker-sandbox";
import { REPO_ROOT } from "./stack-files";

/** Containers, network and volumes of one stack, named with `stack` (a unique prefix per run). */
export function dockerStack(stack: string, config: StackConfig, plan: EnvironmentPlan) {
  const ctx: DockerContext = { stack, bindAddress: "127.0.0.1", networkName: `ops-baseline-${stack}` };
  const created: string[] = [];
  const volumes = new Set<string>();

  function shellQuote(arg: string): string {
    return /^[A-Za-z0-9_./:=,@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
  }

  function createContainer(name: string, run: ContainerRunSpec, extra: string[], entrypoint: string[] | undefined) {
    const args = ["create", "--name", name, "--network", ctx.networkName, "--init"];
    if (run.user) args.push("--user", run.user);
    if (run.readOnly) args.push("--read-only");
    args.push("--memory", `${run.memoryMegabytes}m`, "--memory-swap", `${run.memoryMegabytes}m`, "--cpus", run.cpus);
    args.push("--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--log-driver", "json-file");
    for (const [k, v] of Object.entries(run.logOptions)) args.push("--log-opt", `${k}=${v}`);
    for (const e of [...run.env, ...secretEnvEntries(name, run.secretEnv, config.secrets)]) args.push("--env", e);
    for (const [k, v] of Object.entries(run.labels)) args.push("--label", `${k}=${v}`);
    for (const m of run.mounts) {
      if (m.type === "tmpfs") args.push("--tmpfs", `${m.target}:size=${m.tmpfsSizeBytes},mode=1777`);
      else if (m.type === "bind") {
        args.push("--mount", `type=bind,src=${m.source},dst=${m.target}${m.readOnly ? ",readonly" : ""}`);
      } else {
        args.push("--mount", `type=volume,src=${m.source},dst=${m.target}${m.readOnly ? ",readonly" : ""}`);
        if (!volumes.has(m.source!)) {
          docker(["volume", "create", m.source!]);
          volumes.add(m.source!);
        }
      }
    }
    const cmd = [...(entrypoint ?? []), ...(run.args ?? [])];
    if (entrypoint?.length) args.push("--entrypoint", entrypoint[0]);
    args.push(...extra, run.image, ...(entrypoint?.length ? cmd.slice(1) : cmd));
    docker(args);
    created.push(name);
    upload(name, [
      ...run.files,
      ...run.secretFiles.map((f) => ({
        path: f.path,
        mode: f.mode,
        content: fillSecretTemplate(f.template, config.secrets, name),
      })),
    ]);
    docker(["start", name]);
  }

  function healthArgs(w: Workload): string[] {
    const h = healthcheckFor(w);
    if (!h) return [];
    const [, ...command] = h.tests;
    return [
      "--health-cmd",
      command.map(shellQuote).join(" "),
      "--health-interval",
      h.interval,
      "--health-timeout",
      h.timeout,
      "--health-retries",
      String(h.retries),
      "--health-start-period",
      h.startPeriod,
    ];
  }

  function ipOf(name: string): string {
    return docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name]);
  }

  async function promQuery(query: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const ip = ipOf(containerName(ctx, "prometheus"));
    const res = await fetch(`http://${ip}:9090/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    return body.data.result;
  }

  async function up(): Promise<void> {
    const ready = spawnSync("bash", [path.join(REPO_ROOT, "scripts/docker-engine.sh")], { encoding: "utf8" });
    assert.equal(ready.status, 0, `no Docker engine: ${ready.stderr}`);
    const base = spawnSync("bash", [path.join(REPO_ROOT, "images/base/build.sh")], { encoding: "utf8" });
    assert.equal(base.status, 0, `no base image: ${base.stderr}`);
    const images = new Map<string, ContainerSpec["image"]>();
    for (const spec of [...plan.workloads, ...plan.workloads.flatMap((w) => w.sidecars), ...plan.jobs])
      images.set(spec.image.ref, spec.image);
    for (const image of images.values()) buildImage(image);
    docker(["network", "create", ctx.networkName]);
    for (const w of orderByDependencies(plan.workloads)) {
      for (const dep of w.dependsOn) await waitHealthy(containerName(ctx, dep), 180);
      const run = containerRunSpec(ctx, w.name, w, undefined, w.labels);
      createContainer(
        containerName(ctx, w.name),
        run,
        ["--network-alias", w.name, "--network-alias", podsServiceName(w.name), ...healthArgs(w)],
        w.command,
      );
      for (const s of w.sidecars) {
        createContainer(
          containerName(ctx, `${w.name}-${s.name}`),
          containerRunSpec(ctx, w.name, { ...s, logPolicy: w.logPolicy }, undefined, w.labels),
          [],
          s.command,
        );
      }
    }
    for (const job of plan.jobs) {
      const run = containerRunSpec(ctx, job.name, job, undefined, {
        ...job.labels,
        "ops-baseline/schedule": job.schedule,
      });
      createContainer(
        containerName(ctx, job.name),
        run,
        ["--network-alias", job.name],
        scheduledCommand(job, DOCKER_JOB_SCHEDULER),
      );
    }
  }

  function down(): void {
    for (const name of created.reverse()) spawnSync("docker", ["rm", "-f", "-v", name]);
    spawnSync("docker", ["network", "rm", ctx.networkName]);
    for (const v of volumes) spawnSync("docker", ["volume", "rm", v]);
  }

  return { ctx, docker, upload, createContainer, waitHealthy, ipOf, poll, promQuery, up, down };
}
