// The Docker CLI as the real-engine tests drive it: commands that must succeed, and images built
// from the repository's Dockerfiles on the local Debian base (no registry).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { ImageSpec } from "../../components/workloads/model";
import { REPO_ROOT } from "./stack-files";

/** Output of a docker command that must succeed; otherwise an error with its stderr. */
export function docker(args: string[], input?: string | Buffer): string {
  const r = spawnSync("docker", args, { encoding: "utf8", input, maxBuffer: 64 * 1024 ** 2 });
  if (r.status !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} ...: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Builds an image the way the Docker target does (its build context and args), tagged `tag`. */
export function buildImage(image: ImageSpec, tag: string = image.ref): void {
  assert.ok(image.build, `${image.ref} is built from the repository in dev`);
  const r = spawnSync(
    "docker",
    [
      "build",
      "-q",
      "-t",
      tag,
      ...Object.entries(image.build.args ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
      "-f",
      path.join(REPO_ROOT, image.build.dockerfile),
      path.join(REPO_ROOT, image.build.context),
    ],
    { encoding: "utf8", env: { ...process.env, DOCKER_BUILDKIT: "0" }, maxBuffer: 64 * 1024 ** 2 },
  );
  assert.equal(r.status, 0, `docker build ${image.ref}: ${r.stderr}`);
}
