// A repository stack file with an HTTPS entry point (RAVE's proxy on 3002) and a NATS data store
// with JetStream (the T-OPS-01 router), for the entry-point and NATS tests. Secrets are stand-ins
// that count as encrypted, like every secret the tests read from the real stack files.
import type { RawConfig } from "../../stacks/config/defaults";
import type { StackFileInput } from "../../stacks/config/load";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { readStackFileText, stackFileInputFromText } from "./stack-files";

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
 * The repository's stack file as text, with the entry point, the NATS store and the two TLS
 * secrets (encrypted values, as `pulumi config set --secret` writes them) added.
 */
export function brokerStackText(stack: "dev" | "prod"): string {
  const doc = parseYaml(readStackFileText(stack)) as { config: RawConfig };
  doc.config["ops-baseline:entrypoints"] = entrypointValues(stack);
  doc.config["ops-baseline:dataStores"] = {
    ...(doc.config["ops-baseline:dataStores"] as RawConfig),
    [NATS_STORE]: natsValues(),
  };
  doc.config["ops-baseline:secrets"] = {
    ...(doc.config["ops-baseline:secrets"] as RawConfig),
    raveTlsCertificate: { secure: "v1:test-only" },
    raveTlsKey: { secure: "v1:test-only" },
  };
  return stringifyYaml(doc);
}

/** The broker stack file's input; `edit` changes the raw values before validation (to make them wrong). */
export function brokerStackInput(
  stack: "dev" | "prod",
  edit: (values: RawConfig, input: StackFileInput) => void = () => {},
): StackFileInput {
  const input = stackFileInputFromText(stack, brokerStackText(stack));
  edit(input.values, input);
  return input;
}
