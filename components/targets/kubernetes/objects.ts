// The floor of the Kubernetes target: the object type, the context every object is built in, and
// the helpers (metadata, selector labels, leaving out empty and undefined fields) that the
// builders of workloads, jobs, network policies, storage and identities share.

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
  /**
   * Workloads placed as StatefulSets: a volume shared from one of them is a claim its template
   * created (claimName), not one of the owner's own claims.
   */
  statefulWorkloads?: ReadonlySet<string>;
}

export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "ops-baseline" };
}

export function metadata(
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

export function metadataFor(name: string, ctx: KubeContext, labels: Record<string, string>) {
  return metadata(name, ctx, labels);
}

/** Empty lists are stored as absent by the API server; leaving them out keeps applies quiet. */
export function nonEmptyList<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

export function nonEmpty(record: Record<string, string>): Record<string, string> | undefined {
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
