// Identities of the workloads that talk to the API server: a ServiceAccount and the least RBAC.
import type { Workload } from "../../workloads/model";
import { metadata, type K8sObject, type KubeContext } from "./objects";

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
