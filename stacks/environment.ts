// One top-level component per environment: config -> plan -> the target the stack picked.
// Everything the stack deploys sits below it, so `pulumi preview` reads as one tree.
import * as pulumi from "@pulumi/pulumi";
import { DockerTarget } from "../components/targets/docker";
import { toResources } from "../components/workloads/resources";
import { signalCoverage } from "../components/alerts/signals";
import { KubernetesTarget } from "../components/targets/kubernetes";
import { receiverSummary } from "../components/monitoring/alertmanager";
import type { StackConfig } from "./config/schema";
import { planEnvironment } from "./plan";

/** Runs a scheduled job inside a long-running container on Docker (shipped in the backup image). */
export const DOCKER_JOB_SCHEDULER = ["/opt/ops-baseline/bin/schedule"];

export interface EnvironmentArgs {
  config: StackConfig;
  repoRoot: string;
}

export class Environment extends pulumi.ComponentResource {
  public readonly target: string;
  public readonly endpoints: pulumi.Output<Record<string, string>>;
  public readonly workloads: string[];
  public readonly jobs: string[];

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ops-baseline:index:Environment", name, {}, opts);
    const { config } = args;
    const plan = planEnvironment(config);
    // A service without a signal gets no alert for it: say so in the preview.
    if (config.monitoring.enabled) {
      const off = (name: string) => config.alerts.overrides[name]?.disabled === true;
      for (const line of signalCoverage(config.services, off)) pulumi.log.info(line, this);
      // Where alerts go, the local sink of the dev profile included (nothing is dropped unsaid).
      for (const line of receiverSummary(config.monitoring)) pulumi.log.info(line, this);
    }
    // One secret Output for the whole map: every value derived from it stays secret in state.
    const secrets = pulumi.secret(config.secrets);

    if (config.target.kind === "docker") {
      const target = new DockerTarget(
        "docker",
        {
          environment: config.environment,
          stack: pulumi.getStack(),
          host: config.target.host,
          bindAddress: config.target.bindAddress,
          repoRoot: args.repoRoot,
          workloads: plan.workloads,
          jobs: plan.jobs,
          secrets,
          scheduler: DOCKER_JOB_SCHEDULER,
        },
        { parent: this },
      );
      this.endpoints = target.endpoints;
    } else {
      const target = new KubernetesTarget(
        "kubernetes",
        {
          environment: config.environment,
          profile: config.profile,
          namespace: config.target.namespace,
          context: config.target.context,
          storageClass: config.target.storageClass,
          renderYamlToDirectory: config.target.renderYamlToDirectory,
          dnsCidrs: config.target.dnsCidrs,
          protectData: config.target.protectData,
          skipAwait: config.target.skipAwait,
          configReloaderImage: config.target.configReloaderImage,
          nodeExporter:
            config.target.clusterMonitoring.enabled &&
            config.monitoring.enabled &&
            config.monitoring.exporters.node.enabled
              ? {
                  namespace: config.target.clusterMonitoring.nodeNamespace,
                  image: config.monitoring.exporters.node.image,
                  resources: toResources(config.monitoring.exporters.node.resources),
                }
              : undefined,
          workloads: plan.workloads,
          jobs: plan.jobs,
          ingress: plan.ingress,
          secrets,
        },
        { parent: this },
      );
      this.endpoints = target.endpoints;
    }
    this.target = config.target.kind;
    this.workloads = plan.workloads.map((w) => w.name);
    this.jobs = plan.jobs.map((j) => j.name);
    this.registerOutputs({
      endpoints: this.endpoints,
      target: this.target,
      workloads: this.workloads,
      jobs: this.jobs,
    });
  }
}
