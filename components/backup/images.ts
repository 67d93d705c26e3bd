// What the data stores' images must hold for their backups.
//
// A Redis backup checks every snapshot with redis-check-rdb, which refuses an RDB format newer
// than its own (Redis 7.2 writes RDB 11; 7.0 reads up to 10). So the backup image's Redis tools
// must be the server's version. Both versions are read from what decides them: an image the
// project builds pins its Redis version as `ARG REDIS_VERSION` in its Dockerfile (the build
// fails when Debian's package is another version); an upstream image says it in its tag.
//
// A backed-up PostgreSQL runs pgBackRest in archive_command and ensure-roles at start: only the
// project's image has both.
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackupInput } from "./config";

/** The project's root (from dist/components/backup): image builds are relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..", "..");

/** The Dockerfile the backup image is built from (the published image is built from it too). */
export const BACKUP_DOCKERFILE = "images/backup/Dockerfile";

/** The default of `ARG <name>=<value>` in a Dockerfile, or undefined. */
export function dockerfileArg(file: string, name: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  const m = new RegExp(`^ARG ${name}=(\\S+)\\s*$`, "m").exec(fs.readFileSync(file, "utf8"));
  return m?.[1];
}

/** The x.y.z version of an image tag such as `redis:7.2.5-bookworm`, or undefined. */
export function tagVersion(image: string): string | undefined {
  const tag = /:([^/@]+)(@.*)?$/.exec(image)?.[1];
  return tag ? /^v?(\d+\.\d+\.\d+)(?:-|$)/.exec(tag)?.[1] : undefined;
}

export interface RedisVersions {
  store: string;
  server?: string;
  serverFrom: string;
  tools?: string;
  toolsFrom: string;
}

/** The Redis version of each Redis data store and of the backup image's tools. */
export function redisVersions(config: BackupInput, dir: string = PROJECT_ROOT): RedisVersions[] {
  const toolsFile = config.backup.build?.dockerfile ?? BACKUP_DOCKERFILE;
  const tools = config.backup.build?.args.REDIS_VERSION ?? dockerfileArg(path.resolve(dir, toolsFile), "REDIS_VERSION");
  return Object.entries(config.dataStores)
    .filter(([, s]) => s.engine === "redis")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([store, s]) => {
      const built = s.build?.dockerfile;
      return {
        store,
        server: built
          ? (s.build?.args.REDIS_VERSION ?? dockerfileArg(path.resolve(dir, built), "REDIS_VERSION"))
          : tagVersion(s.image),
        serverFrom: built ? `ARG REDIS_VERSION in ${built}` : `the tag of ${s.image}`,
        tools,
        toolsFrom: `ARG REDIS_VERSION in ${toolsFile}`,
      };
    });
}

/** Problems for the stack file: a backed-up Redis whose version differs from the backup tools'. */
export function redisVersionProblems(
  config: BackupInput,
  dir: string = PROJECT_ROOT,
): { path: string; message: string }[] {
  return redisVersions(config, dir)
    .filter((v) => config.backup.dataStores[v.store]?.enabled !== false)
    .flatMap((v) => {
      const at = `dataStores.${v.store}.image`;
      if (!v.server)
        return [
          { path: at, message: `no Redis version in ${v.serverFrom}; pin a version tag such as redis:7.0.15-bookworm` },
        ];
      if (!v.tools) return [{ path: "backup.image", message: `no Redis version in ${v.toolsFrom}` }];
      if (v.server !== v.tools)
        return [
          {
            path: at,
            message: `runs Redis ${v.server} (${v.serverFrom}) but the backup checks snapshots with redis-check-rdb ${v.tools} (${v.toolsFrom}), which refuses a newer RDB format; use Redis ${v.tools} or build the backup image with Redis ${v.server}`,
          },
        ];
      return [];
    });
}

/** The project's PostgreSQL image, as published (images/postgresql, .github/workflows/images.yml). */
export const PROJECT_POSTGRES_IMAGE = /^ghcr\.io\/ops-baseline\/postgresql:/;

/**
 * Problems for the stack file: a backed-up PostgreSQL (archive_command runs pgBackRest) or one
 * with roles (ensure-roles creates them) must run the project's image, built (`build`) or
 * published; the upstream image has neither pgBackRest nor ensure-roles.
 */
export function postgresImageProblems(config: BackupInput): { path: string; message: string }[] {
  return Object.entries(config.dataStores)
    .filter(([, s]) => s.engine === "postgresql")
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([name, s]) => {
      if (s.build || PROJECT_POSTGRES_IMAGE.test(s.image)) return [];
      const backedUp = config.backup.dataStores[name]?.enabled !== false;
      const roles = s.engine === "postgresql" && Object.values(s.roles).some(Boolean);
      if (!backedUp && !roles) return [];
      const needs = [backedUp && "pgBackRest (WAL archiving)", roles && "ensure-roles (dataStores.roles)"]
        .filter(Boolean)
        .join(" and ");
      return [
        {
          path: `dataStores.${name}.image`,
          message: `${s.image} lacks ${needs}; use the project's image (ghcr.io/ops-baseline/postgresql:<tag>, or build images/postgresql)`,
        },
      ];
    });
}
