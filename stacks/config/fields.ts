// zod field types shared by every concern's part of the stack-file schema: durations, sizes,
// CPU quantities, pinned images, names. Each one turns text into base units and reports a
// message that says what would be right.
import { z } from "zod";
import { parseCpu, parseDuration, parseSize, type Parsed } from "../../components/workloads/units";

function quantity(parse: (text: string) => Parsed<number>) {
  return z.union([z.string(), z.number()]).transform((input, ctx) => {
    const result = parse(String(input));
    if (!result.ok) {
      ctx.issues.push({ code: "custom", message: result.message, input });
      return z.NEVER;
    }
    return result.value;
  });
}

/** Duration text ("30s", "5m") to seconds. A bare number is read as seconds. */
export const duration = () =>
  z.union([z.string(), z.number()]).transform((input, ctx) => {
    const result = parseDuration(typeof input === "number" ? `${input}s` : input);
    if (!result.ok) {
      ctx.issues.push({ code: "custom", message: result.message, input });
      return z.NEVER;
    }
    return result.value;
  });

/** Size text ("256Mi", "10MB") to bytes. */
export const size = () => quantity(parseSize);

/** CPU text ("500m", "0.5") to millicores. */
export const cpu = () => quantity(parseCpu);

/** A DNS-1123 label: what Kubernetes and Docker both accept as a name. */
export const name = () =>
  z
    .string()
    .regex(
      /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/,
      "must be a lowercase name of letters, digits and '-', starting with a letter, at most 40 characters",
    );

export const port = () =>
  z.number().int().min(1, "must be a port from 1 to 65535").max(65535, "must be a port from 1 to 65535");

/**
 * A container image pinned by tag or digest. `latest` and a missing tag are rejected because a
 * preview could not show which version would run.
 */
export const pinnedImage = () =>
  z.string().superRefine((ref, ctx) => {
    const problem = imagePinProblem(ref);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export function imagePinProblem(ref: string): string | undefined {
  if (/\s/.test(ref) || ref.length === 0) return `"${ref}" is not an image reference`;
  const [withoutDigest, digest] = ref.split("@");
  if (digest !== undefined) {
    return /^sha256:[a-f0-9]{64}$/.test(digest)
      ? undefined
      : `"${ref}" has a malformed digest; write @sha256: followed by 64 hex digits`;
  }
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon < 0) {
    return `"${ref}" has no tag; pin a version, e.g. "${ref}:1.2.3" or "${ref}@sha256:<digest>"`;
  }
  const tag = lastSegment.slice(colon + 1);
  if (tag === "latest") {
    return `"${ref}" uses the tag "latest", which moves; pin a version tag or a digest`;
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return `"${ref}" has an invalid tag "${tag}"`;
  return undefined;
}

/** Environment values as YAML writes them (3000, true) become the strings a process sees. */
export const envValue = () => z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));

/** Cron: five fields, each a list of `*`, numbers, ranges and steps within the field's bounds. */
export const cronExpression = () =>
  z.string().superRefine((text, ctx) => {
    const problem = cronProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const CRON_FIELDS: Array<[string, number, number]> = [
  ["minute", 0, 59],
  ["hour", 0, 23],
  ["day of month", 1, 31],
  ["month", 1, 12],
  ["day of week", 0, 7],
];

export function cronProblem(text: string): string | undefined {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `"${text}" is not a cron expression; write five fields: minute hour day-of-month month day-of-week, e.g. "30 2 * * *"`;
  }
  for (let i = 0; i < 5; i++) {
    const [label, min, max] = CRON_FIELDS[i];
    for (const part of fields[i].split(",")) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      const bad = `"${text}": ${label} "${fields[i]}" must be *, a number from ${min} to ${max}, a range a-b or a step */n`;
      if (!m) return bad;
      const numbers = [m[2], m[3]].filter((v) => v !== undefined).map(Number);
      if (numbers.some((n) => n < min || n > max)) return bad;
      if (numbers.length === 2 && numbers[0] > numbers[1]) return bad;
      if (m[4] !== undefined && Number(m[4]) === 0) return bad;
    }
  }
  return undefined;
}

const cidr = (example: string) =>
  z.union([z.cidrv4(), z.cidrv6()], { error: () => `must be a CIDR such as ${example}` });

/** Address ranges outside the environment, the ranges excluded from them, and the TCP ports reached there. */
export const egress = () =>
  z.strictObject({
    cidrs: z.array(cidr("203.0.113.0/24")).min(1, "must name at least one CIDR"),
    except: z.array(cidr("10.0.0.0/8")).default([]),
    ports: z.array(port()).min(1, "must name at least one port"),
  });
