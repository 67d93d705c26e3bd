// npm run docs [-- <stack | path/to/Pulumi.<stack>.yaml> ...]
// Writes OPERATIONS.md, RUNBOOK.md and TROUBLESHOOTING.md for the named stacks, or for every
// stack of the repository and every example system when none is named.
import { allDocsTargets, resolveStackArg, writeStackDocs } from "./stacks";

function main(args: string[]): number {
  try {
    const targets = args.length > 0 ? args.map(resolveStackArg) : allDocsTargets();
    for (const t of targets) {
      for (const f of writeStackDocs(t)) console.log(`wrote ${f}`);
    }
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
