// npm run schema [-- --check]
// Writes schema/stack-file.schema.json, the JSON Schema of a stack file generated from the zod
// schema (stacks/config/json-schema.ts). With --check it writes nothing and exits 1 when the
// committed file differs from what the zod schema gives.
import * as fs from "node:fs";
import * as path from "node:path";
import { STACK_FILE_SCHEMA_PATH, stackFileJsonSchemaText } from "../../stacks/config/json-schema";

function repoRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no Pulumi.yaml above ${start}`);
    dir = parent;
  }
  return dir;
}

function main(argv: string[]): number {
  const file = path.join(repoRoot(__dirname), STACK_FILE_SCHEMA_PATH);
  const text = stackFileJsonSchemaText();
  if (argv.includes("--check")) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (current === text) return 0;
    console.error(`${STACK_FILE_SCHEMA_PATH} differs from the zod schema; run: npm run schema`);
    return 1;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  console.log(`wrote ${STACK_FILE_SCHEMA_PATH} (${text.length} bytes)`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
