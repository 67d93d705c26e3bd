// Workloads as Kubernetes objects: plain API-shaped data, built without Pulumi so they can be
// tested directly. The component (./index.ts) registers them; Secret values are filled there.
import * as crypto from "node:crypto";
import type {
  ContainerSpec,
  ExternalEgress,
  Probe,
  ScheduledJob,
  VolumeSpec,
  Workload,
  Resources,
} from "../../workloads/model";
import { bytesToQuantity, millicoresToQuantity } from "../../workloads/units";

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are open-ended data */
export type K8sObject = Record<string, any>;

export interface KubeContext {
  namespace: string;
  storageClass?: string;
  /** Extra DNS resolver addresses that are not pods (e.g. a node-local DNS cache). */
  dnsCidrs?: string[];
  /** Image of the sidecar that asks a process to reload changed files (prometheus-config-reloader). */
  configReloaderImage?: string;
  /** Labels that every object carries. */
  commonLabels: Record<string, string>;
}

export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "ops-baseline" };
}

/** Headless Service that resolves to every pod of a workload, ready or not (scraping each replica). */
export function podsServiceName(name: string): string {
  return `${name}-pods`;
}
export const secretEnvName = (owner: string) => `${owner}-env`;
export const filesConfigMapName = (owner: string) => `${owner}-files`;
export const secretFilesName = (owner: string) => `${owner}-secret-files`;

function fileKey(path: string): string {
  return path.replace(/^\//, "").replace(/[^A-Za-z0-9._-]/g, "_");
}

const dirOf = (path: string) => path.slice(0, path.lastIndexOf("/")) || "/";

/**
 * Configuration files are mounted as whole directories, never with `subPath` (a subPath mount
 * is a copy taken at start and never sees an update of its ConfigMap or Secret). One volume per
 * top-most directory: a directory below another one is an item of the outer volume, since a
 * read-only volume cannot hold the mount point of a nested one.
 */
export function fileDirectories(
  prefix: string,
  paths: string[],
): Array<{ volume: string; dir: string; paths: string[] }> {
  const dirs = [...new Set(paths.map(dirOf))].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const roots: string[] = [];
  for (const d of dirs) if (!roots.some((r) => d === r || d.startsWith(`${r}/`))) roots.push(d);
  return roots.sort().map((dir, i) => ({
    volume: `${prefix}-${i}`,
    dir,
    paths: paths.filter((p) => p.startsWith(`${dir}/`)).sort(),
  }));
}

function probe(p: Probe, ports: Map<string, number>): K8sObject {
  const timings = {
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
    // The API server stores 0 as absent; sending it would read as a change on every apply.
    initialDelaySeconds: p.initialDelaySeconds || undefined,
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
  /** Every file path of the pod (all its containers), which decides the directory volumes. */
  podFiles?: string[],
  podSecretFiles?: string[],
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
    ...dirMounts(
      "files",
      podFiles ?? spec.files.map((f) => f.path),
      spec.files.map((f) => f.path),
    ),
    ...dirMounts(
      "secret-files",
      podSecretFiles ?? spec.secretFiles.map((f) => f.path),
      spec.secretFiles.map((f) => f.path),
    ),
  ];
  if (spec.securityContext.readOnlyRootFilesystem && !spec.volumes.some((v) => v.mountPath === "/tmp")) {
    mounts.push({ name: "tmp", mountPath: "/tmp", readOnly: undefined });
  }
  return stripUndefined({
    name: containerName,
    image: spec.image.ref,
    imagePullPolicy: "IfNotPresent",
    command: spec.command,
    args: spec.args && spec.args.length > 0 ? spec.args : undefined,
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

/** Mounts of the directory volumes that hold this container's files. */
function dirMounts(prefix: string, podPaths: string[], ownPaths: string[]): K8sObject[] {
  return fileDirectories(prefix, podPaths)
    .filter((d) => d.paths.some((p) => ownPaths.includes(p)))
    .map((d) => ({ name: d.volume, mountPath: d.dir, readOnly: true }));
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
  const modeOf = new Map([...files, ...specs.flatMap((s) => s.secretFiles)].map((f) => [f.path, f.mode]));
  const items = (d: { dir: string; paths: string[] }) =>
    d.paths.map((p) => ({ key: fileKey(p), path: p.slice(d.dir.length + 1), mode: modeOf.get(p) }));
  for (const d of fileDirectories(
    "files",
    files.map((f) => f.path),
  )) {
    volumes.set(d.volume, { name: d.volume, configMap: { name: filesConfigMapName(owner), items: items(d) } });
  }
  const secretFiles = specs.flatMap((s) => s.secretFiles);
  for (const d of fileDirectories(
    "secret-files",
    secretFiles.map((f) => f.path),
  )) {
    volumes.set(d.volume, { name: d.volume, secret: { secretName: secretFilesName(owner), items: items(d) } });
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

/**
 * Replicas of one workload go to different nodes and zones where the cluster has them: spread
 * evenly across zones (best effort), and never two on one node unless there are fewer nodes
 * than replicas (then scheduling still succeeds, but the replicas are kept apart where possible).
 */
export function schedulingSpread(w: Workload): K8sObject {
  if (w.replicas < 2) return {};
  const selector = { matchLabels: selectorLabels(w.name) };
  return {
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: selector,
      },
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: selector,
      },
    ],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: selector } },
        ],
      },
    },
  };
}

export const CONFIG_CHECKSUM_ANNOTATION = "ops-baseline/config-sha256";
export const SECRETS_CHECKSUM_ANNOTATION = "ops-baseline/secrets-sha256";

/** Files under the workload's reload directories, when a reloader sidecar will watch them. */
function reloadable(w: Workload, ctx: KubeContext): (path: string) => boolean {
  const dirs = w.reload && ctx.configReloaderImage ? w.reload.dirs : [];
  return (path) => dirs.some((d) => path.startsWith(`${d}/`));
}

/**
 * Checksum of everything in the pod's ConfigMap and Secret that the processes read only at start
 * (files outside reload directories, secret file templates, which secrets the environment takes),
 * as a pod-template annotation: a change rolls the pods. Files a reloader watches are left out,
 * so a new alert rule reloads Prometheus instead of restarting it. Secret values are covered by a
 * second annotation set by the component (./index.ts), which is the only place that sees them.
 */
export function configChecksum(w: Workload, ctx: KubeContext): string | undefined {
  const live = reloadable(w, ctx);
  const parts = [w, ...w.sidecars].flatMap((s) => [
    ...s.files.filter((f) => !live(f.path)).map((f) => `file\0${f.path}\0${f.mode}\0${f.content}`),
    ...s.secretFiles.filter((f) => !live(f.path)).map((f) => `secret-file\0${f.path}\0${f.mode}\0${f.template}`),
    ...s.secretEnv.map((e) => `secret-env\0${e.name}\0${e.secret}`),
  ]);
  if (parts.length === 0) return undefined;
  return crypto.createHash("sha256").update(parts.sort().join("\n")).digest("hex");
}

/** Secret names whose values the pods read only at start (env, files outside reload directories). */
export function restartSecrets(w: Workload, ctx: KubeContext): string[] {
  const live = reloadable(w, ctx);
  const names = [w, ...w.sidecars].flatMap((s) => [
    ...s.secretEnv.map((e) => e.secret),
    ...s.secretFiles
      .filter((f) => !live(f.path))
      .flatMap((f) => [...f.template.matchAll(/\$\{secret:([A-Za-z0-9_]+)\}/g)].map((m) => m[1])),
  ]);
  return [...new Set(names)].sort();
}

/** The sidecar that POSTs the reload URL when a watched ConfigMap or Secret volume changes. */
function configReloader(w: Workload, ctx: KubeContext, podFiles: string[], podSecretFiles: string[]): K8sObject[] {
  if (!w.reload || !ctx.configReloaderImage) return [];
  const live = reloadable(w, ctx);
  const watched = [
    ...fileDirectories("files", podFiles).filter((d) => d.paths.some(live)),
    ...fileDirectories("secret-files", podSecretFiles).filter((d) => d.paths.some(live)),
  ];
  const port = 8080;
  return [
    {
      name: "config-reloader",
      image: ctx.configReloaderImage,
      imagePullPolicy: "IfNotPresent",
      args: [
        `--reload-url=${w.reload.url}`,
        `--listen-address=:${port}`,
        ...watched.map((d) => `--watched-dir=${d.dir}`).sort(),
      ],
      ports: [{ name: "reloader", containerPort: port, protocol: "TCP" }],
      livenessProbe: {
        tcpSocket: { port },
        periodSeconds: 30,
        timeoutSeconds: 3,
        failureThreshold: 3,
      },
      resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
      securityContext: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
      },
      volumeMounts: watched.map((d) => ({ name: d.volume, mountPath: d.dir, readOnly: true })),
    },
  ];
}

function podSpec(w: Workload, claimed: Set<string>, ctx: KubeContext): K8sObject {
  const podFiles = [w, ...w.sidecars].flatMap((s) => s.files.map((f) => f.path));
  const podSecretFiles = [w, ...w.sidecars].flatMap((s) => s.secretFiles.map((f) => f.path));
  return {
    ...schedulingSpread(w),
    // Only a workload that talks to the API gets an identity and its token.
    ...(w.apiAccess ? { serviceAccountName: w.name } : {}),
    automountServiceAccountToken: w.apiAccess !== undefined,
    enableServiceLinks: false,
    securityContext: podSecurityContext(w),
    terminationGracePeriodSeconds: 30,
    containers: [
      containerFor(w.name, w.name, w, w.ports, w.health, podFiles, podSecretFiles),
      // A sidecar never gates the pod's readiness (only the main container says "serving").
      ...w.sidecars.map((s) =>
        containerFor(w.name, s.name, s, [], { ...s.health, readiness: undefined }, podFiles, podSecretFiles),
      ),
      ...configReloader(w, ctx, podFiles, podSecretFiles),
    ],
    volumes: nonEmptyList(podVolumes(w.name, [w, ...w.sidecars], claimed)),
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
  const checksum = configChecksum(w, ctx);
  const annotations = { ...w.annotations, ...(checksum ? { [CONFIG_CHECKSUM_ANNOTATION]: checksum } : {}) };
  const template = { metadata: { labels, annotations: nonEmpty(annotations) }, spec: {} as K8sObject };
  if (w.stateful) {
    const persistent = w.volumes.filter((v) => v.persistent && !v.sharedFrom);
    template.spec = podSpec(w, new Set(persistent.map((v) => v.name)), ctx);
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
  template.spec = podSpec(w, new Set(), ctx);
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
      // Lists pods that are not ready too, so a crashed or hanging replica stays a scrape target
      // and reports up == 0 instead of vanishing from discovery.
      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: selectorLabels(w.name), ports },
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
  return stripUndefined({
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
              volumes: nonEmptyList(podVolumes(job.name, [job], new Set())),
            },
          },
        },
      },
    },
  });
}

/**
 * Network policy: everything in the namespace is denied by default; each workload may receive
 * traffic from the workloads and jobs that depend on or connect to it, on its own ports, and from
 * anywhere on ports marked external; it may reach the cluster's DNS, the workloads it depends on,
 * and the external address ranges it declares (egress), nothing else.
 */
export function networkPolicies(workloads: Workload[], jobs: ScheduledJob[], ctx: KubeContext): K8sObject[] {
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const clients = new Map<string, Set<string>>();
  const flows = [
    ...workloads.map((w) => ({ from: w.name, to: [...w.dependsOn, ...w.connectsTo], egress: w.egress ?? [] })),
    ...jobs.map((j) => ({ from: j.name, to: j.connectsTo, egress: j.egress ?? [] })),
  ];
  for (const { from, to } of flows) {
    for (const target of to) {
      if (!clients.has(target)) clients.set(target, new Set());
      clients.get(target)!.add(from);
    }
  }
  const portsOf = (name: string) =>
    (byName.get(name)?.ports ?? []).map((p) => ({ port: p.containerPort, protocol: p.protocol.toUpperCase() }));
  const policies: K8sObject[] = [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("default-deny", ctx, {}),
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    },
  ];
  const dns = dnsEgress(ctx);
  for (const { from, to, egress: external } of flows.sort((a, b) => a.from.localeCompare(b.from))) {
    const self = byName.get(from);
    const ingress: K8sObject[] = [];
    const callers = [...(clients.get(from) ?? [])].sort();
    if (self && callers.length > 0 && self.ports.length > 0) {
      ingress.push({
        from: callers.map((c) => ({ podSelector: { matchLabels: selectorLabels(c) } })),
        ports: portsOf(from),
      });
    }
    const open = (self?.ports ?? []).filter((p) => p.external);
    if (open.length > 0) {
      ingress.push({ ports: open.map((p) => ({ port: p.containerPort, protocol: p.protocol.toUpperCase() })) });
    }
    const egress: K8sObject[] = [dns];
    for (const target of [...new Set(to)].sort()) {
      const ports = portsOf(target);
      if (ports.length === 0) continue;
      egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(target) } }], ports });
    }
    for (const e of [...external].sort((a, b) => a.name.localeCompare(b.name))) egress.push(externalEgressRule(e));
    policies.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata(from, ctx, {}),
      // An empty `ingress` list is stored by the API server as absent (both deny everything),
      // so it is left out rather than showing as a change on every apply.
      spec: stripUndefined({
        podSelector: { matchLabels: selectorLabels(from) },
        policyTypes: ["Ingress", "Egress"],
        ingress: ingress.length > 0 ? ingress : undefined,
        egress,
      }),
    });
  }
  return policies;
}

/**
 * DNS on port 53 to the cluster's resolver wherever it runs: any pod of any namespace (CoreDNS,
 * kube-dns, whatever its labels) plus the addresses in `dnsCidrs` (a node-local cache on a
 * link-local address, which is no pod).
 */
function dnsEgress(ctx: KubeContext): K8sObject {
  return {
    to: [{ namespaceSelector: {} }, ...(ctx.dnsCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }))],
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
  };
}

function externalEgressRule(e: ExternalEgress): K8sObject {
  return {
    to: [...e.cidrs].sort().map((cidr) => {
      const except = e.except.filter((x) => cidrContains(cidr, x)).sort();
      return { ipBlock: stripUndefined({ cidr, except: except.length > 0 ? except : undefined }) };
    }),
    ports: [...e.ports].sort((a, b) => a - b).map((port) => ({ port, protocol: "TCP" })),
  };
}

/** Whether IPv4 range `inner` lies inside `outer` and is smaller (the API rejects other excepts). */
export function cidrContains(outer: string, inner: string): boolean {
  const parse = (c: string) => {
    const [ip, bits] = c.split("/");
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p))) return undefined;
    return { addr: parts.reduce((a, p) => a * 256 + p, 0), bits: Number(bits) };
  };
  const o = parse(outer);
  const i = parse(inner);
  if (!o || !i || i.bits <= o.bits) return false;
  const size = 2 ** (32 - o.bits);
  return Math.floor(i.addr / size) === Math.floor(o.addr / size);
}

/** ServiceAccount and the least RBAC a workload that reads the API needs (Role, ClusterRole). */
export function apiAccessObjects(w: Workload, ctx: KubeContext): K8sObject[] {
  if (!w.apiAccess) return [];
  const objects: K8sObject[] = [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: metadata(w.name, ctx, w.labels),
      automountServiceAccountToken: false,
    },
  ];
  const subject = [{ kind: "ServiceAccount", name: w.name, namespace: ctx.namespace }];
  if (w.apiAccess.rules.length > 0) {
    objects.push(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: metadata(w.name, ctx, w.labels),
        rules: w.apiAccess.rules,
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: metadata(w.name, ctx, w.labels),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: w.name },
        subjects: subject,
      },
    );
  }
  if (w.apiAccess.clusterRules.length > 0) {
    // Cluster-scoped names carry the namespace, so two environments in one cluster do not collide.
    const { namespace: _ns, ...clusterMeta } = metadata(`${ctx.namespace}-${w.name}`, ctx, w.labels);
    objects.push(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: clusterMeta,
        rules: w.apiAccess.clusterRules,
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: clusterMeta,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterMeta.name },
        subjects: subject,
      },
    );
  }
  return objects;
}

export interface NodeExporterSpec {
  namespace: string;
  image: string;
  resources: Resources;
}

/**
 * node-exporter on every node, in a namespace of its own whose Pod Security level is
 * `privileged`: it reads the host's /proc, /sys and root filesystem and uses the host's network
 * and PID namespaces, which `restricted` (and `baseline`) forbid. It still runs as nobody, drops
 * every capability and cannot escalate.
 */
export function nodeExporterObjects(spec: NodeExporterSpec, ctx: KubeContext): K8sObject[] {
  const labels = {
    ...ctx.commonLabels,
    ...selectorLabels("node-exporter"),
    "app.kubernetes.io/component": "monitoring",
  };
  const host = (name: string, path: string, mountPath: string) => ({
    volume: { name, hostPath: { path } },
    mount: { name, mountPath, readOnly: true, mountPropagation: name === "root" ? "HostToContainer" : undefined },
  });
  const mounts = [
    host("proc", "/proc", "/host/proc"),
    host("sys", "/sys", "/host/sys"),
    host("root", "/", "/host/root"),
  ];
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: spec.namespace,
        labels: {
          ...ctx.commonLabels,
          "pod-security.kubernetes.io/enforce": "privileged",
          "pod-security.kubernetes.io/enforce-version": "latest",
          // Still warns about (and audits) anything beyond baseline, which node-exporter is.
          "pod-security.kubernetes.io/audit": "baseline",
        },
      },
    },
    stripUndefined({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "node-exporter", namespace: spec.namespace, labels },
      spec: {
        selector: { matchLabels: selectorLabels("node-exporter") },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            hostNetwork: true,
            hostPID: true,
            priorityClassName: "system-node-critical",
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65534,
              runAsGroup: 65534,
              seccompProfile: { type: "RuntimeDefault" },
            },
            tolerations: [{ operator: "Exists" }],
            containers: [
              {
                name: "node-exporter",
                image: spec.image,
                imagePullPolicy: "IfNotPresent",
                args: [
                  "--path.procfs=/host/proc",
                  "--path.sysfs=/host/sys",
                  "--path.rootfs=/host/root",
                  `--web.listen-address=:9100`,
                  "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/kubelet/.+)($|/)",
                ],
                ports: [{ name: "metrics", containerPort: 9100, hostPort: 9100, protocol: "TCP" }],
                livenessProbe: {
                  httpGet: { path: "/", port: 9100 },
                  periodSeconds: 30,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: "/", port: 9100 },
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                resources: {
                  requests: {
                    cpu: millicoresToQuantity(spec.resources.cpuRequestMillicores),
                    memory: bytesToQuantity(spec.resources.memoryRequestBytes),
                  },
                  limits: {
                    cpu: millicoresToQuantity(spec.resources.cpuLimitMillicores),
                    memory: bytesToQuantity(spec.resources.memoryLimitBytes),
                  },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  privileged: false,
                  readOnlyRootFilesystem: true,
                },
                volumeMounts: mounts.map((m) => m.mount),
              },
            ],
            volumes: mounts.map((m) => m.volume),
          },
        },
      },
    }),
  ];
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

/** Empty lists are stored as absent by the API server; leaving them out keeps applies quiet. */
function nonEmptyList<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
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
