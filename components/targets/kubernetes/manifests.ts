// Workloads as Kubernetes objects: plain API-shaped data, built without Pulumi so they can be
// tested directly. The component (./index.ts) registers them; Secret values are filled there.
import type { Probe, ScheduledJob, VolumeSpec, Workload, ContainerSpec } from "../../workloads/model";
import { bytesToQuantity, millicoresToQuantity } from "../../workloads/units";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are open-ended data */
export type K8sObject = Record<string, any>;

export interface KubeContext {
  namespace: string;
  storageClass?: string;
  /** Labels that every object carries. */
  commonLabels: Record<string, string>;
}

export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "ops-baseline" };
}

/** Headless Service that resolves to every ready pod of a workload (scraping each replica). */
export function podsServiceName(name: string): string {
  return `${name}-pods`;
}
export const secretEnvName = (owner: string) => `${owner}-env`;
export const filesConfigMapName = (owner: string) => `${owner}-files`;
export const secretFilesName = (owner: string) => `${owner}-secret-files`;

function fileKey(path: string): string {
  return path.replace(/^\//, "").replace(/[^A-Za-z0-9._-]/g, "_");
}

function probe(p: Probe, ports: Map<string, number>): K8sObject {
  const timings = {
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
    initialDelaySeconds: p.initialDelaySeconds,
  };
  switch (p.check.type) {
    case "http":
      return { httpGet: { path: p.check.path, port: ports.get(p.check.port) ?? p.check.port }, ...timings };
    case "tcp":
      return { tcpSocket: { port: ports.get(p.check.port) ?? p.check.port }, ...timings };
    case "exec":
      return { exec: { command: p.check.command }, ...timings };
  }
}

function resources(spec: ContainerSpec): K8sObject {
  const r = spec.resources;
  return {
    requests: { cpu: millicoresToQuantity(r.cpuRequestMillicores), memory: bytesToQuantity(r.memoryRequestBytes) },
    limits: { cpu: millicoresToQuantity(r.cpuLimitMillicores), memory: bytesToQuantity(r.memoryLimitBytes) },
  };
}

function volumeName(v: VolumeSpec): string {
  return v.sharedFrom ? `${v.sharedFrom.workload}-${v.sharedFrom.volume}` : v.name;
}

/** The container part shared by workloads, sidecars and jobs. */
export function containerFor(
  owner: string,
  containerName: string,
  spec: ContainerSpec,
  ports: Workload["ports"] = [],
  health: Workload["health"] = {},
): K8sObject {
  const portMap = new Map(ports.map((p) => [p.name, p.containerPort]));
  const env = [
    ...Object.entries(spec.env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    ...spec.secretEnv.map((s) => ({
      name: s.name,
      valueFrom: { secretKeyRef: { name: secretEnvName(owner), key: s.secret } },
    })),
  ];
  const mounts = [
    ...spec.volumes.map((v) => ({ name: volumeName(v), mountPath: v.mountPath, readOnly: v.readOnly || undefined })),
    ...spec.files.map((f) => ({ name: "files", mountPath: f.path, subPath: fileKey(f.path), readOnly: true })),
    ...spec.secretFiles.map((f) => ({
      name: "secret-files",
      mountPath: f.path,
      subPath: fileKey(f.path),
      readOnly: true,
    })),
  ];
  if (spec.securityContext.readOnlyRootFilesystem && !spec.volumes.some((v) => v.mountPath === "/tmp")) {
    mounts.push({ name: "tmp", mountPath: "/tmp", readOnly: undefined });
  }
  return stripUndefined({
    name: containerName,
    image: spec.image.ref,
    imagePullPolicy: "IfNotPresent",
    command: spec.command,
    args: spec.args,
    workingDir: spec.workingDir,
    env: env.length > 0 ? env : undefined,
    ports:
      ports.length > 0
        ? ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol.toUpperCase() }))
        : undefined,
    livenessProbe: health.liveness && probe(health.liveness, portMap),
    readinessProbe: health.readiness && probe(health.readiness, portMap),
    startupProbe: health.startup && probe(health.startup, portMap),
    resources: resources(spec),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: spec.securityContext.readOnlyRootFilesystem,
      runAsNonRoot: true,
      runAsUser: spec.securityContext.runAsUser,
      runAsGroup: spec.securityContext.runAsGroup,
    },
    volumeMounts: mounts.length > 0 ? mounts : undefined,
  });
}

/** Pod volumes for a workload or job: scratch dirs, files, secret files, shared claims. */
function podVolumes(owner: string, specs: ContainerSpec[], claimed: Set<string>): K8sObject[] {
  const volumes = new Map<string, K8sObject>();
  for (const spec of specs) {
    for (const v of spec.volumes) {
      const name = volumeName(v);
      if (claimed.has(name) || volumes.has(name)) continue;
      if (v.sharedFrom) {
        volumes.set(name, {
          name,
          persistentVolumeClaim: { claimName: `${v.sharedFrom.workload}-${v.sharedFrom.volume}` },
        });
      } else if (v.persistent) {
        volumes.set(name, { name, persistentVolumeClaim: { claimName: `${owner}-${v.name}` } });
      } else {
        volumes.set(name, { name, emptyDir: { sizeLimit: bytesToQuantity(v.sizeBytes) } });
      }
    }
    if (spec.securityContext.readOnlyRootFilesystem && !spec.volumes.some((v) => v.mountPath === "/tmp")) {
      volumes.set("tmp", { name: "tmp", emptyDir: { sizeLimit: "64Mi" } });
    }
  }
  const files = specs.flatMap((s) => s.files);
  if (files.length > 0) {
    volumes.set("files", {
      name: "files",
      configMap: {
        name: filesConfigMapName(owner),
        items: files.map((f) => ({ key: fileKey(f.path), path: fileKey(f.path), mode: f.mode })),
      },
    });
  }
  const secretFiles = specs.flatMap((s) => s.secretFiles);
  if (secretFiles.length > 0) {
    volumes.set("secret-files", {
      name: "secret-files",
      secret: {
        secretName: secretFilesName(owner),
        items: secretFiles.map((f) => ({ key: fileKey(f.path), path: fileKey(f.path), mode: f.mode })),
      },
    });
  }
  return [...volumes.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function podSecurityContext(spec: ContainerSpec): K8sObject {
  return stripUndefined({
    runAsNonRoot: true,
    runAsUser: spec.securityContext.runAsUser,
    runAsGroup: spec.securityContext.runAsGroup,
    fsGroup: spec.securityContext.fsGroup,
    seccompProfile: { type: "RuntimeDefault" },
  });
}

function podSpec(w: Workload, claimed: Set<string>): K8sObject {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(w),
    terminationGracePeriodSeconds: 30,
    containers: [
      containerFor(w.name, w.name, w, w.ports, w.health),
      ...w.sidecars.map((s) => containerFor(w.name, s.name, s, [], s.health)),
    ],
    volumes: podVolumes(w.name, [w, ...w.sidecars], claimed),
  };
}

function metadata(
  name: string,
  ctx: KubeContext,
  labels: Record<string, string>,
  annotations?: Record<string, string>,
) {
  return stripUndefined({
    name,
    namespace: ctx.namespace,
    labels: { ...ctx.commonLabels, ...labels },
    annotations: annotations && Object.keys(annotations).length > 0 ? annotations : undefined,
  });
}

/** Deployment (stateless) or StatefulSet (stateful, with claim templates) for a workload. */
export function workloadController(w: Workload, ctx: KubeContext): K8sObject {
  const labels = { ...w.labels, ...selectorLabels(w.name) };
  const template = { metadata: { labels, annotations: nonEmpty(w.annotations) }, spec: {} as K8sObject };
  if (w.stateful) {
    const persistent = w.volumes.filter((v) => v.persistent && !v.sharedFrom);
    template.spec = podSpec(w, new Set(persistent.map((v) => v.name)));
    return {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: metadata(w.name, ctx, w.labels),
      spec: {
        serviceName: podsServiceName(w.name),
        replicas: w.replicas,
        podManagementPolicy: "OrderedReady",
        updateStrategy: { type: "RollingUpdate" },
        selector: { matchLabels: selectorLabels(w.name) },
        template: stripUndefined(template),
        volumeClaimTemplates: persistent.map((v) => ({
          metadata: { name: v.name, labels: selectorLabels(w.name) },
          spec: stripUndefined({
            accessModes: ["ReadWriteOnce"],
            storageClassName: ctx.storageClass,
            resources: { requests: { storage: bytesToQuantity(v.sizeBytes) } },
          }),
        })),
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      },
    };
  }
  template.spec = podSpec(w, new Set());
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(w.name, ctx, w.labels),
    spec: {
      replicas: w.replicas,
      revisionHistoryLimit: 5,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: w.replicas > 1 ? 1 : 0, maxSurge: 1 } },
      selector: { matchLabels: selectorLabels(w.name) },
      template: stripUndefined(template),
    },
  };
}

/**
 * Claims for the persistent volumes a Deployment or a job owns (StatefulSets use claim
 * templates instead; a volume shared from another owner is that owner's claim).
 */
export function persistentVolumeClaims(owner: Workload | ScheduledJob, ctx: KubeContext): K8sObject[] {
  if (owner.kind === "workload" && owner.stateful) return [];
  return owner.volumes
    .filter((v) => v.persistent && !v.sharedFrom)
    .map((v) => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: metadata(`${owner.name}-${v.name}`, ctx, owner.labels),
      spec: stripUndefined({
        accessModes: ["ReadWriteOnce"],
        storageClassName: ctx.storageClass,
        resources: { requests: { storage: bytesToQuantity(v.sizeBytes) } },
      }),
    }));
}

/** A ClusterIP Service for clients and a headless one that lists every pod (for scraping). */
export function services(w: Workload, ctx: KubeContext): K8sObject[] {
  if (w.ports.length === 0) return [];
  const ports = w.ports.map((p) => ({
    name: p.name,
    port: p.containerPort,
    targetPort: p.name,
    protocol: p.protocol.toUpperCase(),
  }));
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata(w.name, ctx, w.labels),
      spec: { type: "ClusterIP", selector: selectorLabels(w.name), ports },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata(podsServiceName(w.name), ctx, w.labels),
      spec: { clusterIP: "None", publishNotReadyAddresses: false, selector: selectorLabels(w.name), ports },
    },
  ];
}

/** Every workload with more than one replica keeps at least one running through voluntary disruption. */
export function podDisruptionBudget(w: Workload, ctx: KubeContext): K8sObject | undefined {
  if (w.replicas < 2) return undefined;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(w.name, ctx, w.labels),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(w.name) } },
  };
}

export function cronJob(job: ScheduledJob, ctx: KubeContext): K8sObject {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: metadata(job.name, ctx, job.labels),
    spec: {
      schedule: job.schedule,
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: job.startingDeadlineSeconds,
      successfulJobsHistoryLimit: job.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: job.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels: { ...job.labels, ...selectorLabels(job.name) } },
        spec: {
          backoffLimit: job.backoffLimit,
          activeDeadlineSeconds: job.activeDeadlineSeconds,
          template: {
            metadata: { labels: { ...job.labels, ...selectorLabels(job.name) } },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: podSecurityContext(job),
              containers: [containerFor(job.name, job.name, job)],
              volumes: podVolumes(job.name, [job], new Set()),
            },
          },
        },
      },
    },
  };
}

/**
 * Network policy: everything in the namespace is denied by default; each workload may receive
 * traffic from the workloads and jobs that depend on or connect to it, on its own ports, and from
 * anywhere on ports marked external; it may reach DNS and the workloads it depends on.
 */
export function networkPolicies(workloads: Workload[], jobs: ScheduledJob[], ctx: KubeContext): K8sObject[] {
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const clients = new Map<string, Set<string>>();
  const flows = [
    ...workloads.map((w) => ({ from: w.name, to: [...w.dependsOn, ...w.connectsTo] })),
    ...jobs.map((j) => ({ from: j.name, to: j.connectsTo })),
  ];
  for (const { from, to } of flows) {
    for (const target of to) {
      if (!clients.has(target)) clients.set(target, new Set());
      clients.get(target)!.add(from);
    }
  }
  const portsOf = (name: string) =>
    (byName.get(name)?.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol.toUpperCase() }));
  const dns = {
    to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
  };
  const policies: K8sObject[] = [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("default-deny", ctx, {}),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
  ];
  for (const { from, to } of flows.sort((a, b) => a.from.localeCompare(b.from))) {
    const self = byName.get(from);
    const ingress: K8sObject[] = [];
    const callers = [...(clients.get(from) ?? [])].sort();
    if (self && callers.length > 0 && self.ports.length > 0) {
      ingress.push({
        from: callers.map((c) => ({ podSelector: { matchLabels: selectorLabels(c) } })),
        ports: portsOf(from),
      });
    }
    const external = (self?.ports ?? []).filter((p) => p.external);
    if (external.length > 0) {
      ingress.push({ ports: external.map((p) => ({ port: p.containerPort, protocol: p.protocol.toUpperCase() })) });
    }
    const egress: K8sObject[] = [dns];
    for (const target of [...new Set(to)].sort()) {
      const ports = portsOf(target);
      if (ports.length === 0) continue;
      egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(target) } }], ports });
    }
    policies.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata(from, ctx, {}),
      spec: {
        podSelector: { matchLabels: selectorLabels(from) },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress,
      },
    });
  }
  return policies;
}

export function filesConfigMap(
  owner: string,
  specs: ContainerSpec[],
  ctx: KubeContext,
  labels: Record<string, string>,
) {
  const files = specs.flatMap((s) => s.files);
  if (files.length === 0) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata(filesConfigMapName(owner), ctx, labels),
    data: Object.fromEntries(files.map((f) => [fileKey(f.path), f.content]).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** Keys of the Secret objects a workload needs; values are filled from Pulumi secrets. */
export function secretKeys(specs: ContainerSpec[]): {
  env: string[];
  files: Array<{ key: string; template: string; path: string }>;
} {
  return {
    env: [...new Set(specs.flatMap((s) => s.secretEnv.map((e) => e.secret)))].sort(),
    files: specs
      .flatMap((s) => s.secretFiles)
      .map((f) => ({ key: fileKey(f.path), template: f.template, path: f.path }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  };
}

export function metadataFor(name: string, ctx: KubeContext, labels: Record<string, string>) {
  return metadata(name, ctx, labels);
}

function nonEmpty(record: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(record).length > 0 ? record : undefined;
}

/** Drops undefined fields so the objects (and the preview diffs) hold only what is set. */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, stripUndefined(v)]),
    ) as T;
  }
  return value;
}
