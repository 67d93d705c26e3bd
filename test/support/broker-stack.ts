// A repository stack file with an HTTPS entry point (RAVE's proxy on 3002) and a NATS data store
// with JetStream (the T-OPS-01 router), for the entry-point and NATS tests. Secrets are stand-ins
// that count as encrypted, like every secret the tests read from the real stack files.
import type { RawConfig } from "../../stacks/config/defaults";
import type { StackFileInput } from "../../stacks/config/load";
import { readStackFileText, secretStandIn, stackFileInputFromText } from "./stack-files";

export const ENTRYPOINT = "rave-proxy";
export const NATS_STORE = "bus";

export function entrypointValues(stack: "dev" | "prod"): RawConfig {
  return {
    [ENTRYPOINT]: {
      hosts: ["rave.example.test"],
      port: stack === "dev" ? 3002 : 443,
      routes: [{ path: "/", service: "api", port: "http" }],
      tls: { certificateSecret: "raveTlsCertificate", keySecret: "raveTlsKey" },
      probePath: "/health",
    },
  };
}

export function natsValues(): RawConfig {
  return {
    engine: "nats",
    image: "ops-baseline/nats-server:2.9-bookworm",
    build: { context: "images/nats", dockerfile: "images/nats/Dockerfile" },
    storage: "1Gi",
    jetstream: { maxFileStore: "512Mi", maxMemoryStore: "64Mi" },
    resources: { requests: { cpu: "100m", memory: "100Mi" }, limits: { cpu: "1", memory: "300Mi" } },
  };
}

/**
 * The repository's stack file with the entry point and the NATS store added; `edit` changes the
 * raw values before validation (to make them wrong on purpose).
 */
export function brokerStackInput(
  stack: "dev" | "prod",
  edit: (values: RawConfig, input: StackFileInput) => void = () => {},
): StackFileInput {
  const input = stackFileInputFromText(stack, readStackFileText(stack));
  input.values.entrypoints = entrypointValues(stack);
  input.values.dataStores = { ...(input.values.dataStores as RawConfig), [NATS_STORE]: natsValues() };
  const secrets = { ...(input.values.secrets as RawConfig) };
  for (const name of ["raveTlsCertificate", "raveTlsKey"]) {
    secrets[name] = secretStandIn(`secrets.${name}`);
    input.encryptedSecrets = new Set([...input.encryptedSecrets, name]);
  }
  input.values.secrets = secrets;
  edit(input.values, input);
  return input;
}
