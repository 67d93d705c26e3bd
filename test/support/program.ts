// Runs the real Pulumi program (config loading + Environment) under pulumi.runtime.setMocks and
// records every resource it registers. Used by the program tests and the benchmark.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../stacks/config/load";
import { readStackFileInput } from "../../stacks/config/read";
import { Environment } from "../../stacks/environment";
import { engineConfigFor, REPO_ROOT } from "./stack-files";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** The resource object itself, to inspect outputs (e.g. whether they are secret). */
  resource?: pulumi.Resource;
}

export interface ProgramRun {
  resources: RecordedResource[];
  environment: Environment;
  byType(type: string): RecordedResource[];
  one(type: string, name: string): RecordedResource;
}

/** Resolves an Output's value (mocks resolve everything, also in preview). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

export function isSecretOutput<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/**
 * Runs the program for a stack. `configText` replaces the stack file's text (for bad-input
 * tests); by default the repository's Pulumi.<stack>.yaml is used. `stackFile` (relative to the
 * repository, e.g. an example system's) names the file the text comes from: problems name it and
 * attached runbook files resolve beside it.
 */
export async function runProgram(stack: string, configText?: string, stackFile?: string): Promise<ProgramRun> {
  const resources: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call() {
        return {};
      },
    },
    "ops-baseline",
    stack,
    true,
  );
  const { config, secretKeys } = engineConfigFor(stack, configText);
  pulumi.runtime.setAllConfig(config, secretKeys);
  const input = readStackFileInput(REPO_ROOT);
  if (configText !== undefined) {
    // The file on disk is not the one under test: take secrecy from the text given.
    const { stackFileInputFromText } = await import("./stack-files");
    input.encryptedSecrets = stackFileInputFromText(stack, configText).encryptedSecrets;
  }
  if (stackFile !== undefined) {
    input.file = stackFile;
    input.dir = path.dirname(path.resolve(REPO_ROOT, stackFile));
  }
  const environment = new Environment(stack, { config: loadStackConfig(input), repoRoot: REPO_ROOT });
  await valueOf(environment.endpoints);
  // Registrations are asynchronous: wait until no new resource appears for a few turns.
  let seen = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((r) => setTimeout(r, 5));
    quiet = resources.length === seen ? quiet + 1 : 0;
    seen = resources.length;
  }
  return {
    resources,
    environment,
    byType: (type) => resources.filter((r) => r.type === type),
    one: (type, name) => {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) {
        throw new Error(
          `expected one ${type} named ${name}, found ${found.length}; have: ${resources
            .filter((r) => r.type === type)
            .map((r) => r.name)
            .join(", ")}`,
        );
      }
      return found[0];
    },
  };
}

/** The marker Pulumi puts on a secret-wrapped value in resource inputs. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Every place a stand-in secret value appears outside a secret-wrapped value. */
export function plainSecretLeaks(value: unknown, at = ""): string[] {
  if (typeof value === "string") return value.includes("test-secret:") ? [at] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainSecretLeaks(v, `${at}[${i}]`));
  if (value && typeof value === "object") {
    if (SECRET_SIG in value) return [];
    return Object.entries(value).flatMap(([k, v]) => plainSecretLeaks(v, `${at}.${k}`));
  }
  return [];
}
