// Checks of entry points that span several keys: routes name services and ports that exist, the
// names do not clash with other workloads, an issuer is only asked of Kubernetes. The secrets
// they name are checked with every other secret reference by the config loader.
import type { EntrypointsInput } from "./config";

export interface EntrypointProblem {
  path: string;
  message: string;
}

/** Secret names an entry point uses, with the key that names each. */
export function entrypointSecretUses(config: EntrypointsInput): Array<[secret: string, at: string]> {
  return Object.entries(config.entrypoints).flatMap(([name, e]) => [
    ...(e.tls.certificateSecret
      ? [[e.tls.certificateSecret, `entrypoints.${name}.tls.certificateSecret`] as [string, string]]
      : []),
    ...(e.tls.keySecret ? [[e.tls.keySecret, `entrypoints.${name}.tls.keySecret`] as [string, string]] : []),
  ]);
}

export function entrypointProblems(config: EntrypointsInput): EntrypointProblem[] {
  const problems: EntrypointProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const services = Object.keys(config.services).sort();
  for (const [name, entry] of Object.entries(config.entrypoints)) {
    const at = `entrypoints.${name}`;
    if (name in config.services || name in config.dataStores) {
      add(at, `"${name}" is also a service or data store; names must be unique`);
    }
    entry.routes.forEach((route, i) => {
      const svc = config.services[route.service];
      if (!svc) {
        add(
          `${at}.routes.${i}.service`,
          `"${route.service}" is not a service; expected one of: ${services.join(", ") || "(none declared)"}`,
        );
      } else if (!svc.ports.some((p) => p.name === route.port)) {
        const ports = svc.ports.map((p) => p.name);
        add(
          `${at}.routes.${i}.port`,
          `"${route.port}" is not a port of ${route.service}; expected one of: ${ports.join(", ") || "(it declares none)"}`,
        );
      }
    });
    const paths = entry.routes.map((r) => r.path);
    for (const dup of new Set(paths.filter((p, i) => paths.indexOf(p) !== i))) {
      add(`${at}.routes`, `path "${dup}" is routed twice; keep one`);
    }
    if (!entry.hosts.some((h) => !h.startsWith("*."))) {
      add(`${at}.hosts`, "needs at least one full host name (not a wildcard) for the certificate probe to request");
    }
    if (entry.tls.issuer && config.target.kind !== "kubernetes") {
      add(
        `${at}.tls.issuer`,
        "an issuer (cert-manager) exists only on Kubernetes; on Docker set certificateSecret and keySecret",
      );
    }
  }
  return problems;
}
