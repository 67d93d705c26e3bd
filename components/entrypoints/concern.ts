// The entry-point concern: each declared entry point as an nginx reverse proxy workload (Docker)
// or as an Ingress with its TLS Secret and the NetworkPolicy that lets the ingress controller in
// (Kubernetes), plus the HTTPS endpoints the blackbox exporter probes. Pure: no Pulumi import.
import type { EntrypointsInput } from "./config";
import { standardLabels } from "../workloads/labels";
import { nonRootUser } from "../workloads/security";
import { containerLogPolicy, toResources } from "../workloads/resources";
import type { K8sObject } from "../targets/kubernetes/objects";
import { httpProbe, type Workload } from "../workloads/model";
import type { EntrypointConfig } from "./config";

export const NGINX_CONFIG_PATH = "/etc/nginx-ops/nginx.conf";
export const TLS_DIR = "/etc/nginx-ops/tls";
/** Plain-HTTP port on which nginx answers its own health check (never published). */
export const NGINX_HEALTH_PORT = 8081;
/** Docker's embedded DNS server: nginx re-resolves upstreams so a restarted container is found. */
const DOCKER_DNS = "127.0.0.11";

/** A route resolved against the stack: the upstream's host and container port. */
export interface ResolvedRoute {
  path: string;
  service: string;
  port: number;
}

export function resolveRoutes(config: EntrypointsInput, entry: EntrypointConfig): ResolvedRoute[] {
  return entry.routes.map((r) => {
    const port = config.services[r.service]?.ports.find((p) => p.name === r.port);
    if (!port) throw new Error(`route ${r.path}: ${r.service} has no port "${r.port}" (the config loader checks this)`);
    return { path: r.path, service: r.service, port: port.port };
  });
}

/** The host name probes use (wildcards cannot be requested). */
export function probeHost(entry: EntrypointConfig): string | undefined {
  return entry.hosts.find((h) => !h.startsWith("*."));
}

export function renderNginxConfig(entry: EntrypointConfig, routes: ResolvedRoute[]): string {
  // Longest prefix first only for readability: nginx picks the longest matching prefix anyway.
  const locations = [...routes]
    .sort((a, b) => b.path.length - a.path.length || a.path.localeCompare(b.path))
    .flatMap((r, i) => [
      `    location ${r.path} {`,
      // A variable in proxy_pass makes nginx resolve the name per request through the resolver.
      `      set $upstream_${i} http://${r.service}:${r.port};`,
      `      proxy_pass $upstream_${i};`,
      "      proxy_set_header Host $host;",
      "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "      proxy_set_header X-Forwarded-Proto https;",
      "    }",
    ]);
  return [
    "# Rendered by ops-baseline (components/entrypoints/concern.ts); do not edit.",
    "worker_processes 1;",
    "pid /tmp/nginx.pid;",
    "error_log stderr warn;",
    "events { worker_connections 1024; }",
    "http {",
    "  access_log /dev/stdout;",
    "  server_tokens off;",
    "  client_body_temp_path /tmp/client_body;",
    "  proxy_temp_path /tmp/proxy;",
    "  fastcgi_temp_path /tmp/fastcgi;",
    "  uwsgi_temp_path /tmp/uwsgi;",
    "  scgi_temp_path /tmp/scgi;",
    `  resolver ${DOCKER_DNS} valid=10s ipv6=off;`,
    // A stopped upstream leaves Docker's DNS, whose lookup of the missing name can hang: answer 502
    // well within a probe's timeout instead of holding the request for the default 30 s.
    "  resolver_timeout 2s;",
    // The address of a stopped container stays cached until `valid` runs out and answers nothing:
    // give up connecting after 2 s (504) rather than nginx's default 60 s.
    "  proxy_connect_timeout 2s;",
    "  server {",
    `    listen ${entry.port} ssl http2;`,
    `    server_name ${entry.hosts.join(" ")};`,
    `    ssl_certificate ${TLS_DIR}/tls.crt;`,
    `    ssl_certificate_key ${TLS_DIR}/tls.key;`,
    "    ssl_protocols TLSv1.2 TLSv1.3;",
    ...locations,
    "  }",
    "  server {",
    `    listen ${NGINX_HEALTH_PORT};`,
    '    location = /nginx-health { return 200 "ok\\n"; }',
    "    location / { return 404; }",
    "  }",
    "}",
    "",
  ].join("\n");
}

function sortedEntries(config: EntrypointsInput): Array<[string, EntrypointConfig]> {
  return Object.entries(config.entrypoints).sort(([a], [b]) => a.localeCompare(b));
}

/** The nginx reverse proxy of an entry point on Docker. */
export function entrypointWorkload(config: EntrypointsInput, name: string, entry: EntrypointConfig): Workload {
  const routes = resolveRoutes(config, entry);
  const tls = entry.tls;
  return {
    kind: "workload",
    name,
    role: "entrypoint",
    stateful: false,
    image: { ref: entry.image, build: entry.build },
    command: undefined,
    args: [],
    env: {},
    secretEnv: [],
    files: [{ path: NGINX_CONFIG_PATH, content: renderNginxConfig(entry, routes), mode: 0o444 }],
    // The certificate and key only ever as secret files, filled from Pulumi secrets by the target.
    secretFiles:
      tls.certificateSecret && tls.keySecret
        ? [
            { path: `${TLS_DIR}/tls.crt`, template: `\${secret:${tls.certificateSecret}}`, mode: 0o444 },
            { path: `${TLS_DIR}/tls.key`, template: `\${secret:${tls.keySecret}}`, mode: 0o400 },
          ]
        : [],
    volumes: [{ name: "tmp", mountPath: "/tmp", sizeBytes: 64 * 1024 ** 2, persistent: false, readOnly: false }],
    resources: toResources(entry.resources),
    securityContext: nonRootUser(65534, { fsGroup: false }),
    replicas: 1,
    restartPolicy: config.profile === "dev" ? "unless-stopped" : "always",
    ports: [
      { name: "https", containerPort: entry.port, protocol: "tcp", hostPort: entry.port, external: true },
      { name: "health", containerPort: NGINX_HEALTH_PORT, protocol: "tcp", external: false },
    ],
    health: {
      liveness: httpProbe("/nginx-health", "health", 30),
      readiness: httpProbe("/nginx-health", "health", 10),
    },
    dependsOn: [...new Set(routes.map((r) => r.service))].sort(),
    connectsTo: [],
    metrics: [],
    logPolicy: containerLogPolicy(config),
    logFiles: [],
    sidecars: [],
    labels: standardLabels(config, name, "entrypoint"),
    annotations: {},
  };
}

/** Entry points as workloads: nginx on Docker; none on Kubernetes (the ingress controller serves them). */
export function entrypointWorkloads(config: EntrypointsInput): Workload[] {
  if (config.target.kind !== "docker") return [];
  return sortedEntries(config).map(([name, entry]) => entrypointWorkload(config, name, entry));
}

/** The TLS Secret an Ingress reads, filled from Pulumi secrets by the Kubernetes target. */
export interface TlsSecretSpec {
  name: string;
  certificateSecret: string;
  keySecret: string;
  labels: Record<string, string>;
}

export interface IngressOutput {
  objects: K8sObject[];
  tlsSecrets: TlsSecretSpec[];
}

export const tlsSecretName = (entry: string) => `${entry}-tls`;

/** Ingress, and the NetworkPolicy that admits the ingress controller to the routed services. */
export function ingressObjects(config: EntrypointsInput): IngressOutput {
  if (config.target.kind !== "kubernetes") return { objects: [], tlsSecrets: [] };
  const namespace = config.target.namespace;
  const objects: K8sObject[] = [];
  const tlsSecrets: TlsSecretSpec[] = [];
  for (const [name, entry] of sortedEntries(config)) {
    const routes = resolveRoutes(config, entry);
    const labels = {
      ...standardLabels(config, name, "entrypoint"),
      "app.kubernetes.io/part-of": "ops-baseline",
    };
    const issuer = entry.tls.issuer;
    const annotations = issuer
      ? { [issuer.kind === "ClusterIssuer" ? "cert-manager.io/cluster-issuer" : "cert-manager.io/issuer"]: issuer.name }
      : undefined;
    objects.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name, namespace, labels, ...(annotations ? { annotations } : {}) },
      spec: {
        ingressClassName: entry.kubernetes.ingressClassName,
        tls: [{ hosts: [...entry.hosts], secretName: tlsSecretName(name) }],
        rules: entry.hosts.map((host) => ({
          host,
          http: {
            paths: routes.map((r) => ({
              path: r.path,
              pathType: "Prefix",
              backend: { service: { name: r.service, port: { number: r.port } } },
            })),
          },
        })),
      },
    });
    const byService = new Map<string, Set<number>>();
    for (const r of routes) byService.set(r.service, (byService.get(r.service) ?? new Set()).add(r.port));
    for (const [service, ports] of [...byService.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      objects.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: `${name}-to-${service}`, namespace, labels },
        spec: {
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "ops-baseline" },
          },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": entry.kubernetes.controllerNamespace },
                  },
                },
              ],
              ports: [...ports].sort((a, b) => a - b).map((port) => ({ port, protocol: "TCP" })),
            },
          ],
        },
      });
    }
    if (entry.tls.certificateSecret && entry.tls.keySecret) {
      tlsSecrets.push({
        name: tlsSecretName(name),
        certificateSecret: entry.tls.certificateSecret,
        keySecret: entry.tls.keySecret,
        labels,
      });
    }
  }
  return { objects, tlsSecrets };
}

/** An HTTPS endpoint the blackbox exporter probes, with the module that checks its certificate. */
export interface TlsProbe {
  entrypoint: string;
  url: string;
  module: string;
  serverName: string;
}

export const tlsProbeModule = (entry: string) => `https_${entry.replace(/-/g, "_")}`;

/**
 * The real HTTPS endpoint of each entry point: the proxy container on the Docker network, or the
 * host name on Kubernetes (through the ingress controller, as clients reach it).
 */
export function tlsProbes(config: EntrypointsInput): TlsProbe[] {
  return sortedEntries(config).flatMap(([name, entry]) => {
    const host = probeHost(entry);
    if (!host) return [];
    const address = config.target.kind === "docker" ? name : host;
    return [
      {
        entrypoint: name,
        url: `https://${address}:${entry.port}${entry.probePath}`,
        module: tlsProbeModule(name),
        serverName: host,
      },
    ];
  });
}

/** Where the blackbox exporter must be allowed to reach the entry points (Kubernetes egress). */
export function tlsProbeEgress(
  config: EntrypointsInput,
): Array<{ name: string; cidrs: string[]; except: string[]; ports: number[] }> {
  if (config.target.kind !== "kubernetes") return [];
  return sortedEntries(config).map(([name, entry]) => ({
    name: `entrypoint-${name}`,
    cidrs: [...entry.kubernetes.addressCidrs],
    except: [],
    ports: [entry.port],
  }));
}
