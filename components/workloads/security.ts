// The security context of the project's own containers: a fixed non-root user, its group owning
// the volumes, and a read-only root filesystem (what Pod Security `restricted` admits).
import type { SecurityContext } from "./model";

/** Runs as `uid` with group `uid`; the volumes' group is `uid` too unless `fsGroup` is false. */
export function nonRootUser(uid: number, options: { fsGroup?: boolean } = {}): SecurityContext {
  return {
    runAsUser: uid,
    runAsGroup: uid,
    ...(options.fsGroup === false ? {} : { fsGroup: uid }),
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
  };
}
