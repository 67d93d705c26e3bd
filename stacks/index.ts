// This repository's Pulumi program: a user of the package's entry point (stacks/program.ts),
// with the repository root as the project directory.
import * as path from "node:path";
import { runProgram } from "./program";

const outputs = runProgram({ projectDir: path.resolve(__dirname, "..", "..") });

export const target = outputs.target;
export const endpoints = outputs.endpoints;
export const workloads = outputs.workloads;
export const jobs = outputs.jobs;
