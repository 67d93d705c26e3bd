// The Kubernetes objects a stack's program registers, as plain API objects: taken from the real
// program under Pulumi mocks, with Pulumi's secret wrappers removed, in an order an API server
// accepts (namespaces and identities before what refers to them).
import type { ApiObject } from "./kube-apiserver";
import { runProgram } from "./program";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (SECRET_SIG in obj) return unwrapSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

const ORDER = [
  "Namespace",
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "ConfigMap",
  "Secret",
  "PersistentVolumeClaim",
  "Service",
  "NetworkPolicy",
  "PodDisruptionBudget",
];

/**
 * `configText` replaces the stack file's text (a stack with parts the repository's files lack);
 * `stackFile` names the file it comes from (an example system's).
 */
export async function stackManifests(stack: string, configText?: string, stackFile?: string): Promise<ApiObject[]> {
  const run = await runProgram(stack, configText, stackFile);
  const objects = run.resources
    .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:yaml"))
    .map((r) => unwrapSecrets(r.inputs) as ApiObject);
  const rank = (o: ApiObject) => (ORDER.includes(o.kind) ? ORDER.indexOf(o.kind) : ORDER.length);
  return objects.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      String(a.metadata.namespace ?? "").localeCompare(String(b.metadata.namespace ?? "")) ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}
