// What a pod reads and writes as Kubernetes objects: PersistentVolumeClaims, the ConfigMap of its
// files, the keys of its Secrets, and the directory volumes the files are mounted from.
import type { ContainerSpec, ScheduledJob, VolumeSpec, Workload } from "../../workloads/model";
import { bytesToQuantity } from "../../workloads/units";
import { metadata, stripUndefined, type K8sObject, type KubeContext } from "./objects";

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

/**
 * The name of the claim that holds volume `volume` of `owner`: a StatefulSet's claim template
 * `volume` gives replica r the claim `<volume>-<owner>-<r>` (the StatefulSet controller names it
 * so), any other owner (a Deployment, a job) has the claim `<owner>-<volume>`. Every claim name
 * the target mounts, creates or documents comes from here.
 */
export function claimName(owner: string, volume: string, stateful: boolean, replica = 0): string {
  return stateful ? `${volume}-${owner}-${replica}` : `${owner}-${volume}`;
}

/** The claim a volume shared from another workload mounts: its first replica's, for a StatefulSet. */
export function sharedClaimName(from: { workload: string; volume: string }, ctx: KubeContext): string {
  return claimName(from.workload, from.volume, ctx.statefulWorkloads?.has(from.workload) ?? false);
}

export function volumeName(v: VolumeSpec): string {
  return v.sharedFrom ? `${v.sharedFrom.workload}-${v.sharedFrom.volume}` : v.name;
}

/** Mounts of the directory volumes that hold this container's files. */
export function dirMounts(prefix: string, podPaths: string[], ownPaths: string[]): K8sObject[] {
  return fileDirectories(prefix, podPaths)
    .filter((d) => d.paths.some((p) => ownPaths.includes(p)))
    .map((d) => ({ name: d.volume, mountPath: d.dir, readOnly: true }));
}

/** Pod volumes for a workload or job: scratch dirs, files, secret files, shared claims. */
export function podVolumes(owner: string, specs: ContainerSpec[], claimed: Set<string>, ctx: KubeContext): K8sObject[] {
  const volumes = new Map<string, K8sObject>();
  for (const spec of specs) {
    for (const v of spec.volumes) {
      const name = volumeName(v);
      if (claimed.has(name) || volumes.has(name)) continue;
      if (v.hostPath) {
        // A node agent's view of the node: only directories that exist, read-only as declared.
        volumes.set(name, { name, hostPath: { path: v.hostPath, type: "Directory" } });
      } else if (v.sharedFrom) {
        volumes.set(name, {
          name,
          persistentVolumeClaim: { claimName: sharedClaimName(v.sharedFrom, ctx) },
        });
      } else if (v.persistent) {
        volumes.set(name, { name, persistentVolumeClaim: { claimName: claimName(owner, v.name, false) } });
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
      metadata: metadata(claimName(owner.name, v.name, false), ctx, owner.labels),
      spec: stripUndefined({
        accessModes: ["ReadWriteOnce"],
        storageClassName: ctx.storageClass,
        resources: { requests: { storage: bytesToQuantity(v.sizeBytes) } },
      }),
    }));
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
