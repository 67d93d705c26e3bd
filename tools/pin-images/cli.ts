// npm run -s pin-images -- <stack file> --tag-of <name>       prints the tag the stack uses
// npm run -s pin-images -- <stack file> <name>=sha256:<hex> ...  pins digests in place
import * as fs from "node:fs";
import { pinDigests, publishedImages } from "./pin";

const [file, ...args] = process.argv.slice(2);
if (!file || args.length === 0) {
  console.error("usage: pin-images <stack file> --tag-of <name> | <name>=sha256:<digest> ...");
  process.exit(2);
}
const text = fs.readFileSync(file, "utf8");
if (args[0] === "--tag-of") {
  const tag = publishedImages(text).get(args[1]);
  if (!tag) {
    console.error(`${file} refers to no ghcr.io/ops-baseline/${args[1]}`);
    process.exit(1);
  }
  console.log(tag);
} else {
  const digests = Object.fromEntries(args.map((a) => a.split("=") as [string, string]));
  fs.writeFileSync(file, pinDigests(text, digests));
  console.log(`${file}: pinned ${Object.keys(digests).sort().join(", ")}`);
}
