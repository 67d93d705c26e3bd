// Prints "<profile> <target kind>" of a stack file, for scripts/pulumi.sh: the profile is
// `ops-baseline:profile`, else the stack name when it is dev or prod, else "unknown" (the
// program then refuses the file, naming the key); the target kind is `ops-baseline:target.kind`,
// else the profile's default (stacks/config/defaults.ts: dev -> docker, prod -> kubernetes).
//   node scripts/stack-facts.mjs Pulumi.<stack>.yaml
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const PROFILE_KIND = { dev: "docker", prod: "kubernetes" };
const file = process.argv[2];
const stack = /^Pulumi\.(.+)\.yaml$/.exec(path.basename(file ?? ""))?.[1];
if (!stack) {
  console.error("usage: node scripts/stack-facts.mjs Pulumi.<stack>.yaml");
  process.exit(2);
}
const config = parse(fs.readFileSync(file, "utf8"))?.config ?? {};
const declared = config["ops-baseline:profile"];
const profile = declared ?? (stack in PROFILE_KIND ? stack : undefined);
const known = Object.hasOwn(PROFILE_KIND, profile ?? "");
const kind = config["ops-baseline:target"]?.kind ?? (known ? PROFILE_KIND[profile] : "unknown");
console.log(`${known ? profile : "unknown"} ${kind}`);
