// Where a local image build's context and Dockerfile are: a build the stack file states is
// relative to the project directory (where the stack file is); one that comes from the profile
// defaults or the schema (the backup, logrotate, nginx and monitoring images) is the package's
// own and relative to the package. Both become absolute, so the Docker target needs no root.
import * as path from "node:path";
import { isPlainObject, type RawConfig } from "./defaults";

export interface BuildRoots {
  /** The user's project directory: builds stated in the stack file resolve here. */
  projectDir: string;
  /** The package's root: builds the package supplies resolve here. */
  packageDir: string;
}

/** A copy of `config` with every `build.context` and `build.dockerfile` absolute. */
export function resolveBuildPaths<T>(config: T, values: RawConfig, roots: BuildRoots): T {
  const walk = (value: unknown, at: string[]): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...at, String(i)]));
    if (!isPlainObject(value) || ![Object.prototype, null].includes(Object.getPrototypeOf(value))) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const here = [...at, key];
      if (key === "build" && isPlainObject(v) && typeof v.context === "string" && typeof v.dockerfile === "string") {
        const base = stated(values, here) ? roots.projectDir : roots.packageDir;
        out[key] = { ...v, context: path.resolve(base, v.context), dockerfile: path.resolve(base, v.dockerfile) };
      } else out[key] = walk(v, here);
    }
    return out;
  };
  return walk(config, []) as T;
}

function stated(values: RawConfig, at: string[]): boolean {
  let cur: unknown = values;
  for (const key of at) {
    if (isPlainObject(cur)) cur = cur[key];
    else if (Array.isArray(cur)) cur = cur[Number(key)];
    else return false;
  }
  return cur !== undefined;
}
