// The three operations documents of a stack, rendered from the same validated config and plan
// the program deploys. Pure: tools/docs reads the stack file and attached runbook text, and
// writes the files.
import { buildModel, type DocsInput } from "./model";
import { renderOperations } from "./operations";
import { renderRunbook } from "./runbook";
import { renderTroubleshooting } from "./troubleshooting";

export type { Attachments, DocsInput } from "./model";

/** File name -> content, in a fixed order; byte-identical for the same input. */
export function renderStackDocs(input: DocsInput): Map<string, string> {
  const model = buildModel(input);
  return new Map([
    ["OPERATIONS.md", renderOperations(model)],
    ["RUNBOOK.md", renderRunbook(model)],
    ["TROUBLESHOOTING.md", renderTroubleshooting(model)],
  ]);
}
