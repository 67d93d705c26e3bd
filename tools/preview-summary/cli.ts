// npm run -s preview-summary -- <preview.json> [--events <event-log>] [--stack <name>]
//                                [--max-chars N] [--fail-on high|medium|low]
// Prints the Markdown summary of a `pulumi preview --json` file; the last line is `Risk: <level>`.
// With --events (the engine's event log) it carries the policy packs' results and violations.
// It is at most --max-chars long (default 60000), the riskiest lines first.
// With --fail-on, exits 3 when the risk is at or above that level, so CI can label or block.
import * as fs from "node:fs";
import { policyResults, policyViolations, RISK_ORDER, summarize, type PreviewDigest, type Risk } from "./summarize";

function main(argv: string[]): number {
  const args = [...argv];
  const take = (flag: string) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const value = args[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    args.splice(i, 2);
    return value;
  };
  const events = take("--events");
  const stack = take("--stack");
  const maxChars = Number(take("--max-chars") ?? 60000);
  const failOn = take("--fail-on") as Risk | undefined;
  if (failOn && !RISK_ORDER.includes(failOn)) throw new Error(`--fail-on must be one of ${RISK_ORDER.join(", ")}`);
  const [file] = args;
  if (!file)
    throw new Error(
      "usage: preview-summary <preview.json> [--events file] [--stack name] [--max-chars N] [--fail-on level]",
    );
  const text = fs.readFileSync(file, "utf8");
  let digest: PreviewDigest;
  try {
    digest = text.trim() === "" ? {} : (JSON.parse(text) as PreviewDigest);
  } catch (e) {
    throw new Error(`${file} is not the JSON that pulumi preview --json prints: ${(e as Error).message}`);
  }
  const eventLog = events === undefined ? undefined : fs.readFileSync(events, "utf8");
  const summary = summarize(digest, {
    stack,
    maxChars,
    violations: eventLog === undefined ? [] : policyViolations(eventLog),
    policies: eventLog === undefined ? undefined : policyResults(eventLog),
  });
  process.stdout.write(summary.markdown);
  return failOn && RISK_ORDER.indexOf(summary.risk) >= RISK_ORDER.indexOf(failOn) ? 3 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`preview-summary: ${(e as Error).message}`);
  process.exitCode = 2;
}
