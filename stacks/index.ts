// The Pulumi program: validate the stack file, then declare the environment. A bad stack file
// fails here with every problem listed, before any resource is registered.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadStackConfig } from "./config/load";
import { readStackFileInput } from "./config/read";
import type { StackConfig } from "./config/schema";
import { Environment } from "./environment";

const repoRoot = path.resolve(__dirname, "..", "..");

function loadConfig(): StackConfig {
  try {
    return loadStackConfig(readStackFileInput(repoRoot));
  } catch (e) {
    // RunError prints the message alone, without a stack trace: the message is the whole story.
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

const config = loadConfig();
const environment = new Environment(config.environment, { config, repoRoot });

export const target = environment.target;
export const endpoints = environment.endpoints;
export const workloads = environment.workloads;
export const jobs = environment.jobs;
