// The entry-point part of the stack file (`ops-baseline:entrypoints`): a TLS endpoint with host
// names and routes to services, placed as an nginx reverse proxy on Docker and as an Ingress on
// Kubernetes. The certificate comes from Pulumi secrets (certificate and key) or, on Kubernetes,
// from a cert-manager issuer.
import { z } from "zod";
import type { DataStoreConfig, ServiceConfig } from "../services/config";
import type { TargetConfig } from "../targets/config";
import type { ProfileName } from "../workloads/context";
import { cpu, name, pinnedImage, port, size } from "../fields";

const hostName = () =>
  z
    .string()
    .regex(
      /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      "must be a lowercase DNS name such as rave.example.com",
    );

const routeSchema = z.strictObject({
  /** Path prefix, e.g. "/" or "/webhooks/". */
  path: z.string().regex(/^\/[-A-Za-z0-9._~/]*$/, 'must be a path prefix starting with "/", e.g. "/api/"'),
  /** A service of the stack. */
  service: name(),
  /** The name of one of that service's ports. */
  port: z.string().min(1),
});

const tlsSchema = z
  .strictObject({
    /** Names of entries in `secrets` holding the PEM certificate (chain) and its private key. */
    certificateSecret: z.string().min(1).optional(),
    keySecret: z.string().min(1).optional(),
    /** Kubernetes only: cert-manager issues the certificate (annotation on the Ingress). */
    issuer: z.strictObject({ kind: z.enum(["Issuer", "ClusterIssuer"]), name: name() }).optional(),
  })
  .superRefine((tls, ctx) => {
    const fromSecrets = tls.certificateSecret !== undefined || tls.keySecret !== undefined;
    if (fromSecrets && (tls.certificateSecret === undefined || tls.keySecret === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "set both certificateSecret and keySecret (the certificate and its key)",
      });
    }
    if (fromSecrets === (tls.issuer !== undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "set either certificateSecret + keySecret (Pulumi secrets) or issuer (cert-manager, Kubernetes only)",
      });
    }
  });

export const entrypointSchema = z.strictObject({
  hosts: z.array(hostName()).min(1, "must name at least one host"),
  /** The HTTPS port clients use: published on the Docker host, the ingress controller's port on Kubernetes. */
  port: port(),
  routes: z.array(routeSchema).min(1, "must route at least one path to a service"),
  tls: tlsSchema,
  /** Path the blackbox exporter requests through the entry point (a 2xx answer expected). */
  probePath: z.string().startsWith("/", "must start with /"),
  /** Docker: the nginx image (built from Debian). */
  image: pinnedImage(),
  build: z
    .strictObject({
      context: z.string().min(1),
      dockerfile: z.string().min(1),
      args: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
  resources: z.strictObject({
    requests: z.strictObject({ cpu: cpu(), memory: size() }),
    limits: z.strictObject({ cpu: cpu(), memory: size() }),
  }),
  kubernetes: z.strictObject({
    ingressClassName: z.string().min(1),
    /** Namespace of the ingress controller, the only one allowed to reach the routed services. */
    controllerNamespace: name(),
    /** Where the entry point's addresses are, for the blackbox exporter's egress. */
    addressCidrs: z.array(z.cidrv4({ error: () => "must be an IPv4 CIDR such as 203.0.113.10/32" })).min(1),
  }),
});
export type EntrypointConfig = z.output<typeof entrypointSchema>;

export const entrypointsSchema = z.record(name(), entrypointSchema).default({});

/** Merged under every entry point of a stack file before validation (stacks/config/defaults.ts). */
export const ENTRYPOINT_DEFAULTS = {
  probePath: "/health",
  image: "ops-baseline/nginx:1.22-bookworm",
  build: { context: "images/nginx", dockerfile: "images/nginx/Dockerfile" },
  resources: { requests: { cpu: "20m", memory: "16Mi" }, limits: { cpu: "500m", memory: "64Mi" } },
  kubernetes: { ingressClassName: "nginx", controllerNamespace: "ingress-nginx", addressCidrs: ["0.0.0.0/0"] },
};

/** What the entry points concern reads: its own part, the services it routes to, the target. */
export interface EntrypointsInput {
  environment: string;
  profile: ProfileName;
  logging: { containerLogs: { maxSize: number; maxFiles: number } };
  target: TargetConfig;
  entrypoints: Record<string, EntrypointConfig>;
  services: Record<string, ServiceConfig>;
  dataStores: Record<string, DataStoreConfig>;
}
