// Workloads as Kubernetes objects: plain API-shaped data, built without Pulumi so they can be
// tested directly. Containers, probes and pod specs, Deployments and StatefulSets, Services,
// PodDisruptionBudgets, the spread of replicas, and the config checksum and reloader sidecar.
// The component (./index.ts) registers them; Secret values are filled there.
import * as crypto from "node:crypto";
import { podsServiceName, type ContainerSpec, type Probe, type Workload } from "../../workloads/model";
import { bytesToQuantity, millicoresToQuantity } from "../../workloads/units";
import {
  metadata,
  nonEmpty,
  nonEmptyList,
  selectorLabels,
  stripUndefined,
  type K8sObject,
  type KubeContext,
} from "./objects";
import { dirMounts, fileDirectories, podVolumes, secretEnvName, volumeName } from "./storage";

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
  const storage = (bytes: number | undefined) =>
    bytes === undefined ? {} : { "ephemeral-storage": bytesToQuantity(bytes) };
  return {
    requests: {
      cpu: millicoresToQuantity(r.cpuRequestMillicores),
      memory: bytesToQuantity(r.memoryRequestBytes),
      ...storage(r.ephemeralStorageRequestBytes),
    },
    limits: {
      cpu: millicoresToQuantity(r.cpuLimitMillicores),
      memory: bytesToQuantity(r.memoryLimitBytes),
      ...storage(r.ephemeralStorageLimitBytes),
    },
  };
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

export function podSecurityContext(spec: ContainerSpec): K8sObject {
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

/**
 * Files a changed version of which reaches the process without a restart: under the workload's
 * reload directories when a reloader sidecar watches them, and under the directories it re-reads
 * on every use (mounted as directories, so the kubelet updates them in place).
 */
function reloadable(w: Workload, ctx: KubeContext): (path: string) => boolean {
  const dirs = [...(w.reload && ctx.configReloaderImage ? w.reload.dirs : []), ...(w.rereads ?? [])];
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

/**
 * The pod-template annotation of the secret values a workload reads only at start (`names`,
 * from restartSecrets): it covers those values and no other, so rotating one secret rolls exactly
 * the workloads that read it. The annotation is readable by whoever reads the workload, so it is
 * not a plain hash (a short password would be guessed from it offline): it is scrypt (N 2^14,
 * r 8: about 16 MiB and tens of milliseconds a guess) of the names and values, salted with the
 * workload's name, so equal values in two workloads give different annotations.
 */
export function secretsChecksum(owner: string, names: string[], values: Record<string, string>): string {
  const message = names.map((n) => `${n}\0${values[n] ?? ""}`).join("\n");
  return crypto
    .scryptSync(message, `ops-baseline/secrets-sha256/${owner}`, 32, { N: 2 ** 14, r: 8, p: 1 })
    .toString("hex");
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
    volumes: nonEmptyList(podVolumes(w.name, [w, ...w.sidecars], claimed, ctx)),
  };
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
 * A node agent's DaemonSet: one pod on every node, tainted ones included, in the node-agent
 * namespace (the caller's `ctx`). Its persistent volumes are the pod's scratch space: a claim
 * cannot follow a pod onto every node.
 */
export function nodeAgentDaemonSet(w: Workload, ctx: KubeContext): K8sObject {
  const labels = { ...w.labels, ...selectorLabels(w.name) };
  const checksum = configChecksum(w, ctx);
  const annotations = { ...w.annotations, ...(checksum ? { [CONFIG_CHECKSUM_ANNOTATION]: checksum } : {}) };
  const local = { ...w, volumes: w.volumes.map((v) => ({ ...v, persistent: false })) };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: metadata(w.name, ctx, w.labels),
    spec: {
      selector: { matchLabels: selectorLabels(w.name) },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: stripUndefined({
        metadata: { labels, annotations: nonEmpty(annotations) },
        spec: { ...podSpec(local, new Set(), ctx), tolerations: [{ operator: "Exists" }] },
      }),
    },
  };
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
