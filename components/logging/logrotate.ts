// Rotation of the log files that services write themselves: a logrotate configuration rendered
// from the stack file's policy, run by a sidecar that shares the service's log volume. Pure.
import type { ServiceConfig } from "../services/config";
import type { LoggingConfig } from "./config";
import { toResources } from "../workloads/resources";
import type { ConcernOutput, Sidecar, Workload } from "../workloads/model";

export type LogFilePolicy = LoggingConfig["files"];

export const LOGROTATE_CONFIG = "/etc/logrotate-ops/logrotate.conf";

/** logrotate configuration for one workload's files. */
export function renderLogrotateConfig(files: string[], policy: LogFilePolicy): string {
  const lines = [
    // A file is rotated at its period, or sooner once it passes maxsize.
    policy.frequency === "size" ? `size ${policy.maxSize}` : policy.frequency,
    ...(policy.frequency === "size" ? [] : [`maxsize ${policy.maxSize}`]),
    `rotate ${policy.rotate}`,
    "missingok",
    "notifempty",
    ...(policy.compress ? ["compress", "delaycompress"] : ["nocompress"]),
    // The application notices the moved file and reopens its path (the reference API does);
    // copytruncate is only for applications that cannot, since lines written during the copy are lost.
    policy.copytruncate ? "copytruncate" : "nocreate",
    "dateext",
    "dateformat -%Y%m%d-%s",
  ];
  return `${[...files].sort().join(" ")} {\n${lines.map((l) => `    ${l}`).join("\n")}\n}\n`;
}

/** The sidecar's loop: rotate, sleep, repeat; the state file lives on the log volume. */
export function logrotateCommand(stateFile: string, everySeconds: number): string[] {
  return [
    "sh",
    "-c",
    `while true; do logrotate --state ${stateFile} ${LOGROTATE_CONFIG} || echo "logrotate exited $?" >&2; sleep ${everySeconds}; done`,
  ];
}

function logrotateSidecar(policy: LogFilePolicy, w: Workload): Sidecar {
  const logVolumes = w.volumes.filter((v) => w.logFiles.some((f) => f.startsWith(`${v.mountPath}/`)));
  const stateDir = logVolumes[0]?.mountPath ?? "/tmp";
  const stateFile = `${stateDir}/.logrotate.status`;
  // Alive while logrotate keeps rewriting its state file, once per check.
  const staleMinutes = Math.ceil((2 * policy.checkEverySeconds) / 60) + 1;
  const alive = {
    check: { type: "exec" as const, command: ["sh", "-c", `test -n "$(find ${stateFile} -mmin -${staleMinutes})"`] },
    periodSeconds: 60,
    timeoutSeconds: 5,
    failureThreshold: 3,
    initialDelaySeconds: 30,
  };
  return {
    // Liveness only: a sidecar's readiness would take the whole pod (the service) out of its
    // Service when log rotation stalls, which is not a reason to stop serving.
    health: { liveness: alive },
    name: "logrotate",
    image: { ref: policy.image, build: policy.build },
    command: logrotateCommand(stateFile, policy.checkEverySeconds),
    env: {},
    secretEnv: [],
    files: [{ path: LOGROTATE_CONFIG, content: renderLogrotateConfig(w.logFiles, policy), mode: 0o444 }],
    secretFiles: [],
    volumes: logVolumes.map((v) => ({ ...v })),
    resources: toResources(policy.resources),
    // Same user as the service, so rotated files keep their owner and the service can reopen them.
    securityContext: { ...w.securityContext, readOnlyRootFilesystem: true },
  };
}

/** Log files must sit on a volume, or the sidecar cannot see them. */
export function logFileProblems(config: {
  services: Record<string, ServiceConfig>;
}): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const [name, svc] of Object.entries(config.services)) {
    svc.logFiles.forEach((file, i) => {
      if (!svc.volumes.some((v) => file.startsWith(`${v.path}/`))) {
        problems.push({
          path: `services.${name}.logFiles.${i}`,
          message: `${file} is on no volume of the service; add a volume whose path contains it so logrotate can reach it`,
        });
      }
    });
  }
  return problems;
}

/** Adds a logrotate sidecar to every workload that writes log files. */
export function applyLogging(logging: Pick<LoggingConfig, "files">, output: ConcernOutput): ConcernOutput {
  return {
    jobs: output.jobs,
    workloads: output.workloads.map((w) =>
      w.logFiles.length === 0 ? w : { ...w, sidecars: [...w.sidecars, logrotateSidecar(logging.files, w)] },
    ),
  };
}
