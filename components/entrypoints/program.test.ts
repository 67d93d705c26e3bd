// A stack with an entry point and NATS through the real program under Pulumi mocks: the TLS key
// and certificate reach resources only inside secret values, on both targets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { brokerStackText } from "../../test/support/broker-stack";
import { runProgram } from "../../test/support/program";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function plainOccurrences(value: unknown, needle: string, path = ""): string[] {
  if (typeof value === "string") return value.includes(needle) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainOccurrences(v, needle, `${path}[${i}]`));
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return [];
    return Object.entries(value).flatMap(([k, v]) => plainOccurrences(v, needle, `${path}.${k}`));
  }
  return [];
}

for (const stack of ["dev", "prod"] as const) {
  test(`${stack}: the entry point's certificate and key are secret wherever they go`, async () => {
    // prod as deployed to a cluster (render mode would put placeholders in instead of values).
    const text = brokerStackText(stack).replace(/^\s*renderYamlToDirectory:.*\n/m, "");
    const run = await runProgram(stack, text);
    const all = JSON.stringify(run.resources.map((r) => r.inputs));
    assert.ok(all.includes("test-secret:secrets.raveTlsKey"), "the key reaches a resource");
    const leaks = run.resources.flatMap((r) =>
      plainOccurrences(r.inputs, "test-secret:secrets.raveTls", `${r.type} ${r.name}`),
    );
    assert.deepEqual(leaks, []);
    if (stack === "prod") {
      const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "rave-proxy-tls")!;
      assert.equal(secret.inputs.type, "kubernetes.io/tls");
      assert.equal(run.resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress").length, 1);
    }
  });
}
