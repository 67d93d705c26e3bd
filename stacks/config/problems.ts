// A problem found in a stack file, and the one error that carries all of them: the floor that the
// loader and its checks (custom alerts, integrations) report through.
export const NAMESPACE = "ops-baseline";

export interface ConfigProblem {
  /** Key path below the namespace, e.g. "services.api.health.liveness.http". */
  path: string;
  message: string;
  /** The stack file's own key when it is not under the namespace (e.g. a misspelt namespace). */
  key?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(formatProblems(file, problems));
    this.name = "ConfigError";
  }
}

export function formatProblems(file: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  ${file}: ${p.key ?? `${NAMESPACE}:${p.path}`}: ${p.message}`);
  const noun = problems.length === 1 ? "problem" : "problems";
  return `${file} has ${problems.length} ${noun}; nothing was deployed:\n${lines.join("\n")}`;
}
