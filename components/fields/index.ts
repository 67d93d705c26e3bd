// zod field types shared by every concern's part of the stack-file schema: durations, sizes,
// CPU quantities, pinned images, names. Each one turns text into base units and reports a
// message that says what would be right.
import { Cron } from "croner";
import { z } from "zod";
import { parseCpu, parseDuration, parseSize, type Parsed } from "../workloads/units";

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

/**
 * A port name: Kubernetes takes it as an IANA service name (IANA_SVC_NAME, RFC 6335): at most 15
 * lowercase letters, digits and '-', with a letter, no '-' at either end and no "--".
 */
export const portName = () =>
  z.string().superRefine((text, ctx) => {
    const problem = portNameProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export function portNameProblem(text: string): string | undefined {
  const rule =
    "a port name is an IANA service name: at most 15 lowercase letters, digits and '-', with at least one letter, no '-' at either end and no \"--\"";
  if (text.length > 15) {
    return `"${text}" is ${text.length} characters; ${rule} (Kubernetes refuses longer ones), e.g. "${text.slice(0, 15).replace(/-+$/, "")}"`;
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text) || !/[a-z]/.test(text) || text.includes("--")) {
    return `"${text}" is not a valid port name; ${rule}`;
  }
  return undefined;
}

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

/**
 * Cron: five fields (minute hour day-of-month month day-of-week), evaluated in UTC. The library
 * croner checks ranges and meaning; only the syntax both schedulers read is accepted (the
 * Kubernetes CronJob controller and supercronic on Docker): numbers, month and day names, `*`,
 * `?`, ranges, lists and steps, no `L`, `W` or `#`.
 */
export const cronExpression = () =>
  z.string().superRefine((text, ctx) => {
    const problem = cronProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const CRON_NAMES = /^(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)$/i;

export function cronProblem(text: string): string | undefined {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `"${text}" is not a cron expression; write five fields: minute hour day-of-month month day-of-week, e.g. "30 2 * * *"`;
  }
  const token = fields
    .flatMap((f) => f.split(/[,/-]/))
    .find((t) => !(t === "*" || t === "?" || /^\d+$/.test(t) || CRON_NAMES.test(t)));
  if (token !== undefined) {
    return `"${text}": "${token}" is not a number, a month or day name, * or ?; write lists, ranges a-b and steps */n of those (L, W and # are not read by every scheduler)`;
  }
  let next: Date | null;
  try {
    next = utcCron(text).nextRun();
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, "");
    return `"${text}" is not a valid cron expression: ${reason}`;
  }
  if (next === null) return `"${text}" never runs (no date matches it); check the day of month and month`;
  return undefined;
}

const DAY_MS = 86_400_000;

function utcCron(text: string): Cron {
  return new Cron(text, { paused: true, utcOffset: 0, legacyMode: true });
}

/**
 * The longest gap between two runs of a cron expression in UTC, over a year and a week of runs
 * from a fixed start (deterministic): the period after which a missing run is overdue. Exact over
 * the first 5000 runs; beyond them a longer gap is found by a daily sample that falls inside it.
 */
export function cronLongestGapSeconds(text: string): number {
  const cron = utcCron(text);
  const start = Date.UTC(2024, 0, 1);
  const end = start + 373 * DAY_MS;
  let previous = cron.nextRun(new Date(start));
  if (previous === null) throw new Error(`"${text}" never runs`);
  let longest = 0;
  for (let i = 0; i < 5000 && previous.getTime() < end; i++) {
    const next: Date | null = cron.nextRun(previous);
    if (next === null) break;
    longest = Math.max(longest, next.getTime() - previous.getTime());
    previous = next;
  }
  for (let t = previous.getTime(); t < end; t += DAY_MS) {
    const next = cron.nextRun(new Date(t));
    if (next === null) break;
    if (next.getTime() - t <= longest) continue;
    longest = Math.max(longest, next.getTime() - lastRunAtOrBefore(cron, t));
  }
  return longest / 1000;
}

function lastRunAtOrBefore(cron: Cron, t: number): number {
  for (let days = 1; days <= 800; days++) {
    let run = cron.nextRun(new Date(t - days * DAY_MS - 1));
    if (run === null || run.getTime() > t) continue;
    for (let next = cron.nextRun(run); next !== null && next.getTime() <= t; next = cron.nextRun(run)) run = next;
    return run.getTime();
  }
  return t;
}

/** How an image is built locally (Docker targets): context and Dockerfile relative to the repository. */
export const buildSchema = z.strictObject({
  context: z.string().min(1),
  dockerfile: z.string().min(1),
  args: z.record(z.string(), z.string()).default({}),
});

/** CPU and memory requests and limits of one container; a request above its limit is an error. */
export const resourcesSchema = z
  .strictObject({
    requests: z.strictObject({ cpu: cpu(), memory: size() }),
    limits: z.strictObject({ cpu: cpu(), memory: size() }),
  })
  .superRefine((r, ctx) => {
    if (r.requests.cpu > r.limits.cpu) {
      ctx.addIssue({ code: "custom", path: ["requests", "cpu"], message: "must not exceed limits.cpu" });
    }
    if (r.requests.memory > r.limits.memory) {
      ctx.addIssue({ code: "custom", path: ["requests", "memory"], message: "must not exceed limits.memory" });
    }
  });
export type ResourcesConfig = z.output<typeof resourcesSchema>;

const cidr = (example: string) =>
  z.union([z.cidrv4(), z.cidrv6()], { error: () => `must be a CIDR such as ${example}` });

/** Address ranges outside the environment, the ranges excluded from them, and the TCP ports reached there. */
export const egress = () =>
  z.strictObject({
    cidrs: z.array(cidr("203.0.113.0/24")).min(1, "must name at least one CIDR"),
    except: z.array(cidr("10.0.0.0/8")).default([]),
    ports: z.array(port()).min(1, "must name at least one port"),
  });
