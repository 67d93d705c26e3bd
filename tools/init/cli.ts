#!/usr/bin/env node
// The package's command line: `ops-baseline init [dir] [--example <name>] [--from <tarball>] [--force]`.
import * as path from "node:path";
import { init, InitError, parseInitArgs, USAGE } from "./init";

const PACKAGE_DIR = path.resolve(__dirname, "..", "..", "..");

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command !== "init") {
    process.stderr.write(`${command === undefined ? "no command" : `unknown command ${command}`}; ${USAGE}\n`);
    return 2;
  }
  try {
    const options = parseInitArgs(rest);
    const written = init(options, PACKAGE_DIR);
    process.stdout.write(`wrote ${options.dir}:\n${written.map((f) => `  ${f}\n`).join("")}`);
    process.stdout.write(`next: cd ${options.dir} && npm install && npm run build && pulumi stack init dev\n`);
    return 0;
  } catch (e) {
    if (e instanceof InitError) {
      process.stderr.write(`ops-baseline init: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
