// The Kubernetes target: registers the objects that the modules beside it build (./workloads.ts,
// ./jobs.ts, ./network.ts, ./storage.ts, ./identities.ts, ./node-exporter.ts, on ./objects.ts), one
// component per workload so the preview reads as a tree, with Secret values filled from Pulumi secrets.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { nodeAgentNamespace, type ScheduledJob, type Workload, type ContainerSpec } from "../../workloads/model";
import type { IngressOutput } from "../../entrypoints/concern";
import { WorkloadGroup } from "../group";
import { fillSecretTemplate } from "../secrets";
import { apiAccessObjects } from "./identities";
import { cronJob } from "./jobs";
import { networkPolicies } from "./network";
import { nodeExporterObjects, type NodeExporterSpec } from "./node-exporter";
import { metadataFor, type K8sObject, type KubeContext } from "./objects";
import { filesConfigMap, persistentVolumeClaims, secretEnvName, secretFilesName, secretKeys } from "./storage";
import {
  nodeAgentDaemonSet,
  podDisruptionBudget,
  restartSecrets,
  SECRETS_CHECKSUM_ANNOTATION,
  secretsChecksum,
  services,
  workloadController,
} from "./workloads";

export interface KubernetesTargetArgs {
  environment: string;
  /** The defaults profile; on the namespace as `ops-baseline/profile` for the policy pack. */
  profile?: string;
  namespace: string;
  context?: string;
  storageClass?: string;
  renderYamlToDirectory?: string;
  workloads: Workload[];
  jobs: ScheduledJob[];
  /** Secret values by name, as Pulumi secrets. */
  secrets: pulumi.Output<Record<string, string>>;
  dnsCidrs?: string[];
  /** protect + retainOnDelete on the namespace and the claims that hold data. */
  protectData: boolean;
  /** Annotate every object with pulumi.com/skipAwait (a control plane without nodes). */
  skipAwait?: boolean;
  configReloaderImage?: string;
  /** node-exporter as a DaemonSet in its own namespace (cluster monitoring). */
  nodeExporter?: NodeExporterSpec;
  /** Entry points: Ingresses and their NetworkPolicies, and the TLS Secrets filled from Pulumi secrets. */
  ingress?: IngressOutput;
}

export class KubernetesTarget extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: KubernetesTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ops-baseline:kubernetes:Target", name, {}, opts);
    const provider = new k8s.Provider(
      `${name}-provider`,
      {
        context: args.context,
        namespace: args.namespace,
        renderYamlToDirectory: args.renderYamlToDirectory,
        enableServerSideApply: true,
      },
      { parent: this },
    );
    // Rendered manifests are plain files (the provider writes Secret data in clear text), so in
    // render mode a Secret carries a placeholder naming the secret, never its value; the values
    // go to the cluster only when the stack deploys (no renderYamlToDirectory).
    const secrets = args.renderYamlToDirectory
      ? args.secrets.apply((all) => Object.fromEntries(Object.keys(all).map((k) => [k, renderedSecretPlaceholder(k)])))
      : args.secrets;
    const ctx: KubeContext = {
      namespace: args.namespace,
      storageClass: args.storageClass,
      dnsCidrs: args.dnsCidrs,
      configReloaderImage: args.configReloaderImage,
      statefulWorkloads: new Set(args.workloads.filter((w) => w.stateful).map((w) => w.name)),
      commonLabels: { "app.kubernetes.io/part-of": "ops-baseline", "ops-baseline/environment": args.environment },
    };
    const dataOptions = { protect: args.protectData, retainOnDelete: args.protectData };
    const ns = new k8s.core.v1.Namespace(
      args.namespace,
      {
        metadata: {
          name: args.namespace,
          annotations: args.skipAwait ? SKIP_AWAIT : undefined,
          labels: {
            ...ctx.commonLabels,
            ...(args.profile ? { "ops-baseline/profile": args.profile } : {}),
            // Pod Security Admission: the namespace only admits restricted pods.
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      },
      // Deleting the namespace deletes every claim in it, the retained ones included.
      { parent: this, provider, ...dataOptions },
    );
    const childOpts = (parent: pulumi.Resource, dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({
      parent,
      provider,
      dependsOn: [ns, ...dependsOn],
    });
    // Objects outside the stack's namespace (the node agents') carry their namespace in the
    // resource name: a default-deny policy exists in both.
    const register = (obj: K8sObject, opts: pulumi.CustomResourceOptions) => {
      const where = obj.metadata.namespace;
      const name = `${obj.kind.toLowerCase()}-${where && where !== args.namespace ? `${where}-` : ""}${obj.metadata.name}`;
      return registerObject(name, args.skipAwait ? withSkipAwait(obj) : obj, opts);
    };

    if (args.nodeExporter) {
      const [nodeNs, daemonSet] = nodeExporterObjects(args.nodeExporter, ctx);
      const nodeNamespace = register(nodeNs, { parent: this, provider });
      register(daemonSet, { parent: this, provider, dependsOn: [nodeNamespace] });
    }
    // Node agents (placement "every-node") in a namespace of their own: their hostPath mounts are
    // admitted only by the Pod Security level `privileged`.
    const agents = args.workloads.filter((w) => w.placement === "every-node");
    const agentCtx: KubeContext = { ...ctx, namespace: nodeAgentNamespace(args.namespace) };
    const agentNs =
      agents.length > 0
        ? register(
            {
              apiVersion: "v1",
              kind: "Namespace",
              metadata: {
                name: agentCtx.namespace,
                labels: {
                  ...ctx.commonLabels,
                  "pod-security.kubernetes.io/enforce": "privileged",
                  "pod-security.kubernetes.io/enforce-version": "latest",
                  // Still warns about (and audits) anything beyond baseline.
                  "pod-security.kubernetes.io/audit": "baseline",
                },
              },
            },
            { parent: this, provider },
          )
        : undefined;
    for (const policy of networkPolicies(args.workloads, args.jobs, ctx)) {
      register(policy, childOpts(this, agentNs && policy.metadata.namespace === agentCtx.namespace ? [agentNs] : []));
    }

    const endpoints: Record<string, string> = {};
    for (const w of agents) {
      const group = new WorkloadGroup("workload", w.role, w.name, { parent: this });
      const opts = childOpts(group, [agentNs!]);
      const config = registerConfig(w.name, [w, ...w.sidecars], agentCtx, w.labels, secrets, opts, register);
      for (const svc of services(w, agentCtx)) register(svc, opts);
      register(
        withSecretsChecksum(nodeAgentDaemonSet(w, agentCtx), restartSecrets(w, agentCtx), args.secrets),
        childOpts(group, [agentNs!, ...config]),
      );
      group.complete();
    }
    for (const w of args.workloads.filter((x) => x.placement !== "every-node")) {
      const group = new WorkloadGroup("workload", w.role, w.name, { parent: this });
      const specs: ContainerSpec[] = [w, ...w.sidecars];
      const config = registerConfig(w.name, specs, ctx, w.labels, secrets, childOpts(group), register);
      for (const claim of persistentVolumeClaims(w, ctx)) register(claim, { ...childOpts(group), ...dataOptions });
      for (const svc of services(w, ctx)) register(svc, childOpts(group));
      const identity = apiAccessObjects(w, ctx).map((obj) => register(obj, childOpts(group)));
      register(
        withSecretsChecksum(workloadController(w, ctx), restartSecrets(w, ctx), args.secrets),
        childOpts(group, [...config, ...identity]),
      );
      const pdb = podDisruptionBudget(w, ctx);
      if (pdb) register(pdb, childOpts(group));
      group.complete();
      for (const p of w.ports) {
        endpoints[`${w.name}.${p.name}`] = `${w.name}.${args.namespace}.svc.cluster.local:${p.containerPort}`;
      }
    }
    for (const job of args.jobs) {
      const group = new WorkloadGroup("job", job.role, job.name, { parent: this });
      const config = registerConfig(job.name, [job], ctx, job.labels, secrets, childOpts(group), register);
      // Backup claims hold the backups: kept on delete in every environment, protected where data is.
      for (const claim of persistentVolumeClaims(job, ctx))
        register(claim, { ...childOpts(group), retainOnDelete: true, protect: args.protectData });
      register(cronJob(job, ctx), childOpts(group, config));
      group.complete();
    }

    if (args.ingress && args.ingress.objects.length > 0) {
      const group = new WorkloadGroup("workload", "entrypoint", "entrypoints", { parent: this });
      // The certificate and key reach the cluster only as a Secret of type kubernetes.io/tls,
      // filled from Pulumi secrets (placeholders in render mode), never in plain state.
      const tls = args.ingress.tlsSecrets.map(
        (t) =>
          new k8s.core.v1.Secret(
            t.name,
            {
              metadata: metadataFor(t.name, ctx, t.labels),
              type: "kubernetes.io/tls",
              stringData: pulumi.secret(
                secrets.apply((all) => ({
                  "tls.crt": requireSecret(all, t.certificateSecret, t.name),
                  "tls.key": requireSecret(all, t.keySecret, t.name),
                })),
              ),
            },
            childOpts(group),
          ),
      );
      for (const obj of args.ingress.objects) register(obj, childOpts(group, tls));
      group.complete();
    }

    this.namespace = ns.metadata.name;
    this.endpoints = pulumi.output(endpoints);
    this.registerOutputs({ namespace: this.namespace, endpoints: this.endpoints });
  }
}

/** ConfigMap for files and Secrets for secret env and secret files of one pod. */
function registerConfig(
  owner: string,
  specs: ContainerSpec[],
  ctx: KubeContext,
  labels: Record<string, string>,
  secrets: pulumi.Output<Record<string, string>>,
  opts: pulumi.CustomResourceOptions,
  register: (obj: K8sObject, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource,
): pulumi.Resource[] {
  const created: pulumi.Resource[] = [];
  const files = filesConfigMap(owner, specs, ctx, labels);
  if (files) created.push(register(files, opts));
  const keys = secretKeys(specs);
  if (keys.env.length > 0) {
    const data = secrets.apply((all) => Object.fromEntries(keys.env.map((k) => [k, requireSecret(all, k, owner)])));
    created.push(
      new k8s.core.v1.Secret(
        secretEnvName(owner),
        { metadata: metadataFor(secretEnvName(owner), ctx, labels), type: "Opaque", stringData: pulumi.secret(data) },
        opts,
      ),
    );
  }
  if (keys.files.length > 0) {
    const data = secrets.apply((all) =>
      Object.fromEntries(keys.files.map((f) => [f.key, fillSecretTemplate(f.template, all, `${owner}: ${f.path}`)])),
    );
    created.push(
      new k8s.core.v1.Secret(
        secretFilesName(owner),
        { metadata: metadataFor(secretFilesName(owner), ctx, labels), type: "Opaque", stringData: pulumi.secret(data) },
        opts,
      ),
    );
  }
  return created;
}

/** What a rendered Secret holds instead of the value of secret `name`. */
export function renderedSecretPlaceholder(name: string): string {
  return `<secret ${name}: set at deploy time, not rendered>`;
}

function requireSecret(all: Record<string, string>, name: string, owner: string): string {
  const value = all[name];
  if (value === undefined) throw new Error(`${owner} needs secret "${name}", which is not set in the stack's secrets`);
  return value;
}

/**
 * A checksum of the secret values the pods read only at start, as a pod-template annotation, so
 * a rotated password rolls them and nothing else. A value the pods re-read (Alertmanager's
 * receiver files, read at each notification) is not in it.
 */
function withSecretsChecksum(
  controller: K8sObject,
  names: string[],
  secrets: pulumi.Output<Record<string, string>>,
): K8sObject {
  if (names.length === 0) return controller;
  // Derived from the values the workload reads and no other (secretsChecksum): not a secret
  // itself (as one it would hide the whole pod spec in the preview).
  const checksum = pulumi.unsecret(secrets.apply((all) => secretsChecksum(controller.metadata.name, names, all)));
  const template = controller.spec.template;
  return {
    ...controller,
    spec: {
      ...controller.spec,
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          annotations: { ...template.metadata.annotations, [SECRETS_CHECKSUM_ANNOTATION]: checksum },
        },
      },
    },
  };
}

const SKIP_AWAIT = { "pulumi.com/skipAwait": "true" };

function withSkipAwait(obj: K8sObject): K8sObject {
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, ...SKIP_AWAIT } } };
}

/** Registers one API object with the typed resource class for its kind. */
function registerObject(name: string, obj: K8sObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  switch (obj.kind) {
    case "Deployment":
      return new k8s.apps.v1.Deployment(name, obj, opts);
    case "StatefulSet":
      return new k8s.apps.v1.StatefulSet(name, obj, opts);
    case "Service":
      return new k8s.core.v1.Service(name, obj, opts);
    case "ConfigMap":
      return new k8s.core.v1.ConfigMap(name, obj, opts);
    case "PersistentVolumeClaim":
      return new k8s.core.v1.PersistentVolumeClaim(name, obj, opts);
    case "PodDisruptionBudget":
      return new k8s.policy.v1.PodDisruptionBudget(name, obj, opts);
    case "NetworkPolicy":
      return new k8s.networking.v1.NetworkPolicy(name, obj, opts);
    case "Ingress":
      return new k8s.networking.v1.Ingress(name, obj, opts);
    case "CronJob":
      return new k8s.batch.v1.CronJob(name, obj, opts);
    case "DaemonSet":
      return new k8s.apps.v1.DaemonSet(name, obj, opts);
    case "Namespace":
      return new k8s.core.v1.Namespace(name, obj, opts);
    case "ServiceAccount":
      return new k8s.core.v1.ServiceAccount(name, obj, opts);
    case "Role":
      return new k8s.rbac.v1.Role(name, obj, opts);
    case "RoleBinding":
      return new k8s.rbac.v1.RoleBinding(name, obj as k8s.rbac.v1.RoleBindingArgs, opts);
    case "ClusterRole":
      return new k8s.rbac.v1.ClusterRole(name, obj, opts);
    case "ClusterRoleBinding":
      return new k8s.rbac.v1.ClusterRoleBinding(name, obj as k8s.rbac.v1.ClusterRoleBindingArgs, opts);
    default:
      throw new Error(`no resource class for kind ${obj.kind}`);
  }
}
