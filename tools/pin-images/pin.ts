// Pins the digests of the images this repository publishes (ghcr.io/ops-baseline/*) in a stack
// file: every reference `ghcr.io/ops-baseline/<name>:<tag>` (with or without an older digest)
// becomes `ghcr.io/ops-baseline/<name>:<tag>@sha256:<digest>`. Comments and layout are kept.
import { parseDocument, visit } from "yaml";

export const PUBLISHED_REGISTRY = "ghcr.io/ops-baseline";

const REF = new RegExp(
  `^${PUBLISHED_REGISTRY.replace(/[./]/g, "\\$&")}/([a-z0-9-]+):([A-Za-z0-9_][A-Za-z0-9_.-]*)(@sha256:[a-f0-9]{64})?$`,
);

/** Image name -> tag of every published image the stack file refers to. */
export function publishedImages(text: string): Map<string, string> {
  const found = new Map<string, string>();
  visit(parseDocument(text), {
    Scalar(_, node) {
      const m = typeof node.value === "string" ? REF.exec(node.value) : null;
      if (m) found.set(m[1], m[2]);
    },
  });
  return found;
}

/** The stack file with each named image's references pinned to its digest. */
export function pinDigests(text: string, digests: Record<string, string>): string {
  const doc = parseDocument(text);
  const pinned = new Set<string>();
  visit(doc, {
    Scalar(_, node) {
      const m = typeof node.value === "string" ? REF.exec(node.value) : null;
      if (!m || !(m[1] in digests)) return;
      const digest = digests[m[1]];
      if (!/^sha256:[a-f0-9]{64}$/.test(digest)) {
        throw new Error(`digest of ${m[1]} must be sha256: followed by 64 hex digits, got "${digest}"`);
      }
      node.value = `${PUBLISHED_REGISTRY}/${m[1]}:${m[2]}@${digest}`;
      pinned.add(m[1]);
    },
  });
  const missing = Object.keys(digests).filter((name) => !pinned.has(name));
  if (missing.length > 0) {
    throw new Error(`the stack file refers to no ${missing.map((n) => `${PUBLISHED_REGISTRY}/${n}`).join(", ")}`);
  }
  return doc.toString();
}
