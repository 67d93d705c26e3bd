// The alerts part of the stack file: per-alert tuning over the catalogue's defaults, and the
// service level objectives that become burn-rate alerts.
import { z } from "zod";
import { duration } from "../fields";
import { customAlertsSchema } from "./custom";

import { SEVERITIES } from "./rule-types";

export { SEVERITIES };
export type { Severity } from "./rule-types";

const overrideSchema = z.strictObject({
  threshold: z.number().optional(),
  for: duration().optional(),
  severity: z.enum(SEVERITIES).optional(),
  disabled: z.boolean().optional(),
});
export type AlertOverride = z.output<typeof overrideSchema>;

const sloSchema = z.strictObject({
  /** Fraction of requests that must succeed (not 5xx), e.g. 0.999. */
  availability: z.number().gt(0.5, "must be above 0.5").lt(1, "must be below 1 (100 % leaves no error budget)"),
  latency: z
    .strictObject({
      /** Seconds; must be a bucket boundary of the service's request-duration histogram. */
      threshold: z.number().positive(),
      /** Fraction of requests faster than the threshold, e.g. 0.99 for a p99 objective. */
      objective: z.number().gt(0.5).lt(1),
    })
    .optional(),
});
export type SloConfig = z.output<typeof sloSchema>;

/**
 * Hand-written runbook text for one alert, placed in its section of the generated RUNBOOK.md:
 * inline Markdown (`text`) or a Markdown file relative to the stack file (`file`).
 */
export const attachedTextSchema = z
  .strictObject({ text: z.string().min(1, "must not be empty").optional(), file: z.string().min(1).optional() })
  .refine((a) => (a.text === undefined) !== (a.file === undefined), {
    message: "set exactly one of text: <markdown> or file: <path relative to the stack file>",
  });
export type AttachedText = z.output<typeof attachedTextSchema>;

export const alertsConfigSchema = z.strictObject({
  /**
   * Where runbook_url links point: the stack's generated RUNBOOK.md (docs/stacks/<stack>/ for the
   * repository's stacks), as a path in the repository or a full URL; each alert adds
   * #<its name in lower case>, the anchor of its section there.
   */
  runbookBaseUrl: z.string().min(1),
  /** Hand-written runbook text by alert name; names are checked against the rendered alerts. */
  runbooks: z.record(z.string(), attachedTextSchema).default({}),
  /** Tuning by alert name; names are checked against the catalogue. */
  overrides: z.record(z.string(), overrideSchema).default({}),
  /** Objectives by service name. */
  slos: z.record(z.string(), sloSchema).default({}),
  /** Alert and recording rules of the team's own, with promtool tests (./custom.ts). */
  custom: customAlertsSchema.default({ rules: [], tests: [] }),
});
export type AlertsConfig = z.output<typeof alertsConfigSchema>;

export { runbookAnchor, runbookUrl } from "./anchors";
