// Prints "<profile> <target kind>" of a stack file, for scripts/pulumi.sh: the profile is
// `ops-baseline:profile`, else the stack name when it is dev or prod, else "unknown" (the
// program then refuses the file, naming the key); the target kind is `ops-baseline:target.kind`,
// else the profile's default (stacks/config/defaults.ts: dev -> docker, prod -> kubernetes).
//   node scripts/stack-facts.mjs Pulumi.<stack>.yaml
// With --matrix, prints the CI matrix of every stack file in a directory (default: the current
// one) as JSON: [{"stack": "prod-eu", "passphraseSecret": "PULUMI_PASSPHRASE_prod_eu"}, ...]
// (secret names allow only letters, digits and _); with --docker only the stacks on the Docker
// target, with --no-docker all others (drift.yml checks Docker stacks on the dev host only).
//   node scripts/stack-facts.mjs --matrix [--docker|--no-docker] [dir]
// With --mode, prints "render" when the stack writes manifests instead of applying them
// (`ops-baseline:target.renderYamlToDirectory`), else "deploy"; deploy.yml deploys only the latter.
//   node scripts/stack-facts.mjs --mode Pulumi.<stack>.yaml
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const PROFILE_KIND = { dev: "docker", prod: "kubernetes" };

function configOf(file) {
  return parse(fs.readFileSync(file, "utf8"))?.config ?? {};
}

/** The profile ("unknown" when none applies) and the target kind of a stack file. */
function factsOf(stack, config) {
  const declared = config["ops-baseline:profile"];
  const profile = declared ?? (stack in PROFILE_KIND ? stack : undefined);
  const known = Object.hasOwn(PROFILE_KIND, profile ?? "");
  const kind = config["ops-baseline:target"]?.kind ?? (known ? PROFILE_KIND[profile] : "unknown");
  return { profile: known ? profile : "unknown", kind };
}

if (process.argv[2] === "--matrix") {
  const args = process.argv.slice(3);
  const docker = args.includes("--docker") ? true : args.includes("--no-docker") ? false : undefined;
  const dir = args.find((a) => !a.startsWith("--")) ?? ".";
  const stacks = fs
    .readdirSync(dir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s) => s !== undefined)
    .filter(
      (s) =>
        docker === undefined || (factsOf(s, configOf(path.join(dir, `Pulumi.${s}.yaml`))).kind === "docker") === docker,
    )
    .sort();
  console.log(
    JSON.stringify(
      stacks.map((stack) => ({ stack, passphraseSecret: `PULUMI_PASSPHRASE_${stack.replace(/[^A-Za-z0-9_]/g, "_")}` })),
    ),
  );
  process.exit(0);
}
const mode = process.argv[2] === "--mode";
const file = process.argv[mode ? 3 : 2];
const stack = /^Pulumi\.(.+)\.yaml$/.exec(path.basename(file ?? ""))?.[1];
if (!stack) {
  console.error("usage: node scripts/stack-facts.mjs [--mode] Pulumi.<stack>.yaml");
  process.exit(2);
}
const config = configOf(file);
if (mode) {
  const dir = config["ops-baseline:target"]?.renderYamlToDirectory;
  console.log(typeof dir === "string" && dir !== "" ? "render" : "deploy");
  process.exit(0);
}
const { profile, kind } = factsOf(stack, config);
console.log(`${profile} ${kind}`);
