// The example systems (examples/<system>/Pulumi.<stack>.yaml): the five runbook systems shipped
// as stack files. Found the same way `npm run docs` finds them (tools/docs/stacks.ts); loaded
// with the same validation as the repository's own stack files.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StackConfig } from "../../stacks/config/schema";
import { allDocsTargets, loadTargetConfig, type StackDocsTarget } from "../../tools/docs/stacks";
import { REPO_ROOT } from "./stack-files";

export interface ExampleStack {
  /** examples/<system> folder name. */
  system: string;
  stack: string;
  /** `<system>/<stack>`: the golden directory under test/golden/examples/ and the test name. */
  id: string;
  target: StackDocsTarget;
}

/** The five runbook systems; each must have a Docker and a Kubernetes stack file. */
export const EXAMPLE_SYSTEMS = ["c0di3", "rave", "rtap", "rtt", "t-ops-01"] as const;

export function exampleStacks(root: string = REPO_ROOT): ExampleStack[] {
  return allDocsTargets(root)
    .filter((t) => !t.repoStack)
    .map((target) => {
      const system = path.basename(path.dirname(target.file));
      return { system, stack: target.stack, id: `${system}/${target.stack}`, target };
    });
}

export function loadExample(example: ExampleStack): StackConfig {
  return loadTargetConfig(example.target);
}

export function exampleText(example: ExampleStack): string {
  return fs.readFileSync(example.target.file, "utf8");
}
