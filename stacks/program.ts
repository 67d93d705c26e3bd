// The package's entry point: a Pulumi program calls runProgram() to validate its stack file and
// declare the environment. A bad stack file fails here with every problem listed, before any
// resource is registered. This repository's own program (stacks/index.ts) calls it too.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadStackConfig } from "./config/load";
import { readStackFileInput } from "./config/read";
import type { StackConfig } from "./config/schema";
import { Environment } from "./environment";

/** The package's root (from dist/stacks): the images and build contexts it supplies are here. */
export const PACKAGE_DIR = path.resolve(__dirname, "..", "..");

export interface RunProgramOptions {
  /**
   * The project directory: `Pulumi.<stack>.yaml` is read from it, and the build contexts and
   * attached files the stack file names are relative to it. Default: the program's working
   * directory, which the Pulumi engine sets to the project's.
   */
  projectDir?: string;
}

/** What the program exports as stack outputs. */
export interface ProgramOutputs {
  target: string;
  endpoints: pulumi.Output<Record<string, string>>;
  workloads: string[];
  jobs: string[];
  environment: Environment;
}

function loadConfig(projectDir: string): StackConfig {
  try {
    return loadStackConfig({ ...readStackFileInput(projectDir), packageDir: PACKAGE_DIR });
  } catch (e) {
    // RunError prints the message alone, without a stack trace: the message is the whole story.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

/** Validates the stack's stack file and declares its environment (one component, all below it). */
export function runProgram(options: RunProgramOptions = {}): ProgramOutputs {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const config = loadConfig(projectDir);
  const environment = new Environment(config.environment, { config, repoRoot: projectDir });
  return {
    target: environment.target,
    endpoints: environment.endpoints,
    workloads: environment.workloads,
    jobs: environment.jobs,
    environment,
  };
}

export { Environment } from "./environment";
export type { StackConfig } from "./config/schema";
