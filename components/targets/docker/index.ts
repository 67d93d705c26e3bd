// The Docker target: a private network, locally built (or pinned remote) images, named volumes,
// and one container per workload replica and per scheduled job, started in depends-on order
// (each waits until its dependencies report healthy).
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  podsServiceName,
  type ContainerSpec,
  type ImageSpec,
  type ScheduledJob,
  type Sidecar,
  type Workload,
} from "../../workloads/model";
import { WorkloadGroup } from "../group";
import { fillSecretTemplate } from "../secrets";
import {
  buildContextDigest,
  containerName,
  containerRunSpec,
  healthcheckFor,
  healthcheckSettings,
  orderByDependencies,
  scheduledCommand,
  secretEnvEntries,
  volumeName,
  type DockerContext,
} from "./containers";

export { orderByDependencies };

export interface DockerTargetArgs {
  environment: string;
  /** The Pulumi stack; Docker object names carry it so two stacks can share one engine. */
  stack: string;
  host: string;
  bindAddress: string;
  /** Repository root: build contexts are relative to it. */
  repoRoot: string;
  workloads: Workload[];
  jobs: ScheduledJob[];
  secrets: pulumi.Output<Record<string, string>>;
  /** Command that runs a job on its cron schedule: `[...scheduler, "<cron>", "--", ...command]`. */
  scheduler: string[];
}

export class DockerTarget extends pulumi.ComponentResource {
  public readonly network: pulumi.Output<string>;
  public readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: DockerTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ops-baseline:docker:Target", name, {}, opts);
    const provider = new docker.Provider(`${name}-provider`, { host: args.host }, { parent: this });
    const ctx: DockerContext = {
      stack: args.stack,
      bindAddress: args.bindAddress,
      networkName: `ops-baseline-${args.stack}`,
    };
    const network = new docker.Network(
      "network",
      {
        name: ctx.networkName,
        driver: "bridge",
        labels: [{ label: "ops-baseline/environment", value: args.environment }],
      },
      { parent: this, provider },
    );

    const images = new Map<string, { resource: pulumi.Resource; digest?: string }>();
    const imageFor = (image: ImageSpec) => {
      const existing = images.get(image.ref);
      if (existing) return existing;
      const resourceName = `image-${image.ref.replace(/[^A-Za-z0-9]+/g, "-")}`;
      const created = image.build
        ? {
            resource: new docker.Image(
              resourceName,
              {
                imageName: image.ref,
                skipPush: true,
                buildOnPreview: false,
                build: {
                  context: path.resolve(args.repoRoot, image.build.context),
                  dockerfile: path.resolve(args.repoRoot, image.build.dockerfile),
                  args: image.build.args,
                  // The classic builder uses the local base image; no registry is asked.
                  builderVersion: "BuilderV1",
                },
              },
              { parent: this, provider },
            ),
            digest: buildContextDigest(args.repoRoot, image.build.context, image.build.dockerfile, image.build.args),
          }
        : {
            resource: new docker.RemoteImage(
              resourceName,
              { name: image.ref, keepLocally: true },
              { parent: this, provider },
            ),
          };
      images.set(image.ref, created);
      return created;
    };

    const volumes = new Map<string, docker.Volume>();
    const volumeFor = (owner: string, volume: string, labels: Record<string, string>, parent: pulumi.Resource) => {
      const volName = volumeName(ctx, owner, volume);
      if (!volumes.has(volName)) {
        volumes.set(
          volName,
          new docker.Volume(
            `volume-${owner}-${volume}`,
            { name: volName, labels: Object.entries(labels).map(([label, value]) => ({ label, value })) },
            // Volumes hold data: a replace or delete must be a deliberate act.
            { parent, provider, retainOnDelete: true },
          ),
        );
      }
      return volumes.get(volName)!;
    };

    const containers = new Map<string, docker.Container>();
    const endpoints: Record<string, string> = {};
    // Containers are created in depends-on order so `wait: true` of a dependency gates the dependent.
    for (const w of orderByDependencies(args.workloads)) {
      const group = new WorkloadGroup("workload", w.role, w.name, { parent: this });
      const image = imageFor(w.image);
      const persistent = w.volumes.filter((v) => v.persistent && !v.sharedFrom);
      const ownVolumes = persistent.map((v) => volumeFor(w.name, v.name, w.labels, group));
      const deps = [
        image.resource,
        ...ownVolumes,
        ...w.dependsOn.map((d) => containers.get(d)).filter((c): c is docker.Container => c !== undefined),
      ];
      const health = healthcheckFor(w);
      for (let replica = 0; replica < Math.max(1, w.replicas); replica++) {
        const container = new docker.Container(
          replica === 0 ? w.name : `${w.name}-${replica}`,
          {
            ...containerSettings(ctx, w.name, w, args.secrets, image.digest, w.labels),
            name: containerName(ctx, w.name, replica),
            restart: w.restartPolicy,
            healthcheck: health && {
              tests: health.tests,
              interval: health.interval,
              timeout: health.timeout,
              retries: health.retries,
              startPeriod: health.startPeriod,
            },
            wait: health !== undefined,
            waitTimeout: 180,
            networksAdvanced: [{ name: network.name, aliases: [w.name, podsServiceName(w.name)] }],
            ports: w.ports
              .filter((p) => p.hostPort !== undefined && replica === 0)
              .map((p) => ({
                internal: p.containerPort,
                external: p.hostPort,
                ip: ctx.bindAddress,
                protocol: p.protocol,
              })),
          },
          { parent: group, provider, dependsOn: deps },
        );
        if (replica === 0) containers.set(w.name, container);
      }
      for (const sidecar of w.sidecars) {
        const sidecarImage = imageFor(sidecar.image);
        new docker.Container(
          `${w.name}-${sidecar.name}`,
          {
            ...containerSettings(
              ctx,
              w.name,
              { ...sidecar, logPolicy: w.logPolicy },
              args.secrets,
              sidecarImage.digest,
              w.labels,
            ),
            name: containerName(ctx, `${w.name}-${sidecar.name}`),
            restart: w.restartPolicy,
            healthcheck: sidecarHealthcheck(sidecar),
            networksAdvanced: [{ name: network.name }],
          },
          { parent: group, provider, dependsOn: [sidecarImage.resource, containers.get(w.name)!] },
        );
      }
      for (const p of w.ports) {
        if (p.hostPort !== undefined) endpoints[`${w.name}.${p.name}`] = `${hostForUrl(ctx.bindAddress)}:${p.hostPort}`;
      }
      group.complete();
    }

    for (const job of args.jobs) {
      const group = new WorkloadGroup("job", job.role, job.name, { parent: this });
      const image = imageFor(job.image);
      const ownVolumes = job.volumes
        .filter((v) => v.persistent && !v.sharedFrom)
        .map((v) => volumeFor(job.name, v.name, job.labels, group));
      const sharedFrom = job.volumes
        .filter((v) => v.sharedFrom)
        .flatMap((v) => [
          containers.get(v.sharedFrom!.workload),
          volumes.get(volumeName(ctx, v.sharedFrom!.workload, v.sharedFrom!.volume)),
        ])
        .filter((r): r is docker.Container | docker.Volume => r !== undefined);
      new docker.Container(
        job.name,
        {
          ...containerSettings(ctx, job.name, job, args.secrets, image.digest, job.labels),
          name: containerName(ctx, job.name),
          entrypoints: scheduledCommand(job, args.scheduler).slice(0, 1),
          command: scheduledCommand(job, args.scheduler).slice(1),
          restart: "unless-stopped",
          networksAdvanced: [{ name: network.name, aliases: [job.name] }],
          labels: labelList({
            ...job.labels,
            ...(image.digest ? { "ops-baseline/build-context-sha256": image.digest } : {}),
            "ops-baseline/schedule": job.schedule,
          }),
        },
        { parent: group, provider, dependsOn: [image.resource, ...ownVolumes, ...sharedFrom] },
      );
      group.complete();
    }

    this.network = network.name;
    this.endpoints = pulumi.output(endpoints);
    this.registerOutputs({ network: this.network, endpoints: this.endpoints });
  }
}

function sidecarHealthcheck(sidecar: Sidecar) {
  const p = sidecar.health.liveness;
  if (!p) return undefined;
  return healthcheckSettings(p, [], p.initialDelaySeconds);
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function hostForUrl(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}

function labelList(labels: Record<string, string>) {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => ({ label, value }));
}

/** Settings shared by workload containers, sidecars and job containers. */
function containerSettings(
  ctx: DockerContext,
  owner: string,
  spec: ContainerSpec & { logPolicy: Workload["logPolicy"] },
  secrets: pulumi.Output<Record<string, string>>,
  buildDigest: string | undefined,
  labels: Record<string, string>,
) {
  const run = containerRunSpec(ctx, owner, spec, buildDigest, labels);
  const envs: pulumi.Input<string[]> =
    run.secretEnv.length === 0
      ? run.env
      : pulumi.secret(secrets.apply((all) => [...run.env, ...secretEnvEntries(owner, run.secretEnv, all)]));
  const uploads: pulumi.Input<docker.types.input.ContainerUpload>[] = [
    ...run.files.map((f) => ({ file: f.path, content: f.content, permissions: octal(f.mode) })),
    ...run.secretFiles.map((f) => ({
      file: f.path,
      content: pulumi.secret(secrets.apply((all) => fillSecretTemplate(f.template, all, `${owner}: ${f.path}`))),
      permissions: octal(f.mode),
    })),
  ];
  return {
    image: run.image,
    entrypoints: run.entrypoint,
    command: run.args,
    workingDir: run.workingDir,
    envs,
    uploads,
    user: run.user,
    readOnly: run.readOnly,
    memory: run.memoryMegabytes,
    memorySwap: run.memoryMegabytes,
    cpus: run.cpus,
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    logDriver: "json-file",
    logOpts: run.logOptions,
    mounts: run.mounts.map((m) =>
      m.type === "tmpfs"
        ? { target: m.target, type: "tmpfs", tmpfsOptions: { sizeBytes: m.tmpfsSizeBytes, mode: 0o1777 } }
        : { target: m.target, type: m.type, source: m.source, readOnly: m.readOnly },
    ),
    labels: labelList(run.labels),
    destroyGraceSeconds: 30,
    init: true,
  };
}
