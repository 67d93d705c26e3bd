// The signals a service's alerts and SLOs read (`services.<name>.signals`): which metrics the
// service exposes, with their labels, and which of them is its request counter (and how an error
// is told apart), its latency histogram, its resident memory, its queue utilisation and its
// webhook error counter. A convention fills the common cases; the catalogue's service alerts, the
// SLO rules and the generated promtool tests follow what is resolved here, and a service without a
// signal gets no alert for it (and the preview says so, see `signalCoverage`).
import { z } from "zod";

/** Paths of probes and scrapes: never counted towards error rate, latency or SLOs. */
export const PROBE_PATHS = ["/health", "/ready", "/metrics"];

/** Bucket bounds the Prometheus client libraries use by default. */
export const PROMETHEUS_CLIENT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Bucket bounds the OpenTelemetry semantic conventions advise for http.server.request.duration. */
export const OPENTELEMETRY_HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const metricName = () =>
  z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
const labelName = () =>
  z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)");

const metricSchema = z
  .strictObject({
    type: z.enum(["counter", "gauge", "histogram"]),
    /** Labels the service puts on the metric (besides job and instance, which Prometheus adds). */
    labels: z.array(labelName()).default([]),
    /** Bucket upper bounds of a classic histogram, in the metric's unit. */
    buckets: z.array(z.number().positive()).min(1).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.type !== "histogram" && m.buckets !== undefined) {
      ctx.addIssue({ code: "custom", path: ["buckets"], message: "only a histogram has buckets" });
    }
    if (m.type === "histogram" && m.buckets === undefined) {
      ctx.addIssue({ code: "custom", path: ["buckets"], message: "a histogram needs its bucket bounds" });
    }
    if (m.buckets && m.buckets.some((b, i) => i > 0 && b <= m.buckets![i - 1])) {
      ctx.addIssue({ code: "custom", path: ["buckets"], message: "must be strictly increasing" });
    }
  });
export type MetricDeclaration = z.output<typeof metricSchema>;

const pathSchema = z.strictObject({
  /** The label that holds the request path or route. */
  label: labelName(),
  /** Paths whose requests do not count (probes and scrapes). */
  exclude: z.array(z.string().startsWith("/", "must start with /")).default(PROBE_PATHS),
});

const off = z.literal(false);

export const signalsSchema = z.strictObject({
  /**
   * Which common naming the service follows: `prometheus` (the client libraries' and the reference
   * API's http_requests_total{method,route,status}, http_request_duration_seconds{method,route},
   * process_resident_memory_bytes), `opentelemetry` (http_server_request_duration_seconds with
   * http_response_status_code and http_route) or `none`.
   */
  convention: z.enum(["prometheus", "opentelemetry", "none"]).default("prometheus"),
  /** Metrics the service exposes beyond (or instead of) the convention's, by name. */
  metrics: z.record(metricName(), metricSchema).default({}),
  /** The request counter (or a histogram, whose _count counts requests) and how errors are told apart. */
  requests: off
    .or(
      z.strictObject({
        metric: metricName().optional(),
        errors: z
          .strictObject({
            label: labelName(),
            /** A regular expression (anchored, as PromQL's =~) over the label's values that are errors. */
            match: z.string().min(1),
            /** A value that is an error and one that is not, for the generated tests (found for the usual cases). */
            example: z.string().optional(),
            okExample: z.string().optional(),
          })
          .optional(),
        path: pathSchema.or(off).optional(),
      }),
    )
    .optional(),
  /** The request-duration histogram. */
  latency: off.or(z.strictObject({ metric: metricName().optional(), path: pathSchema.or(off).optional() })).optional(),
  /** Resident memory in bytes (a gauge): memory against the limit, and its growth. */
  memory: off.or(z.strictObject({ metric: metricName() })).optional(),
  /** A utilisation ratio from 0 to 1 (a gauge), such as a queue or buffer fill level. */
  queue: off.or(z.strictObject({ metric: metricName() })).optional(),
  /** Failed webhook deliveries (a counter). */
  webhookErrors: off.or(z.strictObject({ metric: metricName() })).optional(),
});
export type SignalsConfig = z.output<typeof signalsSchema>;

export interface PathFilter {
  label: string;
  exclude: string[];
}

export interface RequestSignal {
  /** The series that counts requests: the counter, or the histogram's `_count`. */
  series: string;
  labels: string[];
  errorLabel: string;
  errorMatch: string;
  errorExample: string;
  okExample: string;
  path?: PathFilter;
}

export interface LatencySignal {
  metric: string;
  labels: string[];
  buckets: number[];
  path?: PathFilter;
}

export interface GaugeSignal {
  metric: string;
  labels: string[];
}

/** What a service's alerts read; an absent entry means no alert for that signal. */
export interface ResolvedSignals {
  requests?: RequestSignal;
  latency?: LatencySignal;
  memory?: GaugeSignal;
  queue?: GaugeSignal;
  webhookErrors?: GaugeSignal;
}

interface Convention {
  metrics: Record<string, MetricDeclaration>;
  requests?: { metric: string; errors: { label: string; match: string }; path: PathFilter };
  latency?: { metric: string; path: PathFilter };
  memory?: { metric: string };
}

const CONVENTIONS: Record<SignalsConfig["convention"], Convention> = {
  prometheus: {
    metrics: {
      http_requests_total: { type: "counter", labels: ["method", "route", "status"] },
      http_request_duration_seconds: {
        type: "histogram",
        labels: ["method", "route"],
        buckets: PROMETHEUS_CLIENT_BUCKETS,
      },
      process_resident_memory_bytes: { type: "gauge", labels: [] },
    },
    requests: {
      metric: "http_requests_total",
      errors: { label: "status", match: "5.." },
      path: { label: "route", exclude: PROBE_PATHS },
    },
    latency: { metric: "http_request_duration_seconds", path: { label: "route", exclude: PROBE_PATHS } },
    memory: { metric: "process_resident_memory_bytes" },
  },
  opentelemetry: {
    metrics: {
      http_server_request_duration_seconds: {
        type: "histogram",
        labels: ["http_request_method", "http_route", "http_response_status_code"],
        buckets: OPENTELEMETRY_HTTP_BUCKETS,
      },
    },
    requests: {
      metric: "http_server_request_duration_seconds",
      errors: { label: "http_response_status_code", match: "5.." },
      path: { label: "http_route", exclude: PROBE_PATHS },
    },
    latency: { metric: "http_server_request_duration_seconds", path: { label: "http_route", exclude: PROBE_PATHS } },
  },
  none: { metrics: {} },
};

/** The default when a service with a metrics endpoint says nothing: the Prometheus client convention. */
export const DEFAULT_SIGNALS: SignalsConfig = { convention: "prometheus", metrics: {} };

export interface SignalProblem {
  /** Key path below `services.<name>.signals`. */
  path: string;
  message: string;
}

const ERROR_CANDIDATES = ["500", "503", "error", "ERROR", "failure", "failed", "true", "1", "5xx"];
const OK_CANDIDATES = ["200", "204", "ok", "OK", "success", "false", "0", "2xx"];

/** PromQL's =~ is anchored; so is this. */
function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return false;
  }
}

/** Resolves a service's signals (its `signals`, or the default convention) and lists what is wrong. */
export function resolveSignals(config: SignalsConfig | undefined): {
  signals: ResolvedSignals;
  problems: SignalProblem[];
} {
  const s = config ?? DEFAULT_SIGNALS;
  const convention = CONVENTIONS[s.convention];
  const declared: Record<string, MetricDeclaration> = { ...convention.metrics, ...s.metrics };
  const names = Object.keys(declared).sort();
  const problems: SignalProblem[] = [];
  const signals: ResolvedSignals = {};

  const metricOf = (
    at: string,
    metric: string | undefined,
    types: MetricDeclaration["type"][],
  ): MetricDeclaration | undefined => {
    if (metric === undefined) {
      problems.push({ path: `${at}.metric`, message: `is required: convention ${s.convention} has no default for it` });
      return undefined;
    }
    const m = declared[metric];
    if (!m) {
      problems.push({
        path: `${at}.metric`,
        message: `names ${metric}, which the service does not declare; declare it under signals.metrics or use one of: ${names.join(", ") || "(none declared)"}`,
      });
      return undefined;
    }
    if (!types.includes(m.type)) {
      problems.push({
        path: `${at}.metric`,
        message: `${metric} is a ${m.type}; this signal needs a ${types.join(" or ")}`,
      });
      return undefined;
    }
    return m;
  };
  const labelOf = (at: string, metric: string, m: MetricDeclaration, label: string): boolean => {
    if (m.labels.includes(label)) return true;
    problems.push({
      path: at,
      message: `names label ${label}, which ${metric} does not declare; declared labels: ${m.labels.join(", ") || "(none)"}`,
    });
    return false;
  };
  const pathOf = (at: string, metric: string, m: MetricDeclaration, path: PathFilter | false | undefined) => {
    if (!path) return undefined;
    return labelOf(`${at}.path.label`, metric, m, path.label) ? path : undefined;
  };

  if (s.requests !== false && (s.requests || convention.requests)) {
    const r = { ...convention.requests, ...(s.requests || {}) };
    const at = "requests";
    const m = metricOf(at, r.metric, ["counter", "histogram"]);
    if (m && r.metric) {
      const errors: { label: string; match: string; example?: string; okExample?: string } | undefined = r.errors;
      if (!errors) {
        problems.push({ path: `${at}.errors`, message: "is required: label and match (regex) of the error values" });
      } else if (labelOf(`${at}.errors.label`, r.metric, m, errors.label)) {
        const example = errors.example ?? ERROR_CANDIDATES.find((v) => matches(errors.match, v));
        const okExample = errors.okExample ?? OK_CANDIDATES.find((v) => !matches(errors.match, v));
        if (example === undefined || !matches(errors.match, example)) {
          problems.push({
            path: `${at}.errors.example`,
            message: `set a value of ${errors.label} that ${JSON.stringify(errors.match)} matches (the generated tests need one)`,
          });
        } else if (okExample === undefined || matches(errors.match, okExample)) {
          problems.push({
            path: `${at}.errors.okExample`,
            message: `set a value of ${errors.label} that ${JSON.stringify(errors.match)} does not match`,
          });
        } else {
          signals.requests = {
            series: m.type === "histogram" ? `${r.metric}_count` : r.metric,
            labels: m.labels,
            errorLabel: errors.label,
            errorMatch: errors.match,
            errorExample: example,
            okExample,
            path: pathOf(at, r.metric, m, r.path),
          };
        }
      }
    }
  }
  if (s.latency !== false && (s.latency || convention.latency)) {
    const l = { ...convention.latency, ...(s.latency || {}) };
    const m = metricOf("latency", l.metric, ["histogram"]);
    if (m && l.metric) {
      signals.latency = {
        metric: l.metric,
        labels: m.labels,
        buckets: m.buckets ?? [],
        path: pathOf("latency", l.metric, m, l.path),
      };
    }
  }
  for (const [key, types] of [
    ["memory", ["gauge"]],
    ["queue", ["gauge"]],
    ["webhookErrors", ["counter"]],
  ] as const) {
    const given = s[key];
    const chosen = given === false ? undefined : (given ?? (key === "memory" ? convention.memory : undefined));
    if (!chosen) continue;
    const m = metricOf(key, chosen.metric, [...types]);
    if (m) signals[key] = { metric: chosen.metric, labels: m.labels };
  }
  return { signals, problems };
}

/** Which catalogue alerts read which signal. */
export const SIGNAL_ALERTS: Record<keyof ResolvedSignals, { what: string; alerts: string[] }> = {
  requests: { what: "request counter", alerts: ["ErrorRateWarning", "ErrorRateCritical"] },
  latency: { what: "latency histogram", alerts: ["LatencyP95High"] },
  memory: { what: "resident memory gauge", alerts: ["ProcessMemoryHigh", "MemoryGrowthHigh"] },
  queue: { what: "utilisation gauge", alerts: ["QueueUtilisationHigh"] },
  webhookErrors: { what: "webhook error counter", alerts: ["WebhookErrorsHigh"] },
};

/** One line per service that lacks a signal: the alerts it does not get. For the preview's log. */
export function signalCoverage(
  services: Record<string, { metrics?: unknown; signals?: SignalsConfig }>,
  disabled: (alert: string) => boolean = () => false,
): string[] {
  const lines: string[] = [];
  for (const [name, svc] of Object.entries(services).sort(([a], [b]) => a.localeCompare(b))) {
    if (!svc.metrics) {
      lines.push(`service ${name} has no metrics endpoint: it gets no ServiceDown and no signal alerts, only probes`);
      continue;
    }
    const { signals } = resolveSignals(svc.signals);
    const missing = (Object.keys(SIGNAL_ALERTS) as Array<keyof ResolvedSignals>)
      .filter((k) => signals[k] === undefined)
      .map((k) => ({ ...SIGNAL_ALERTS[k], alerts: SIGNAL_ALERTS[k].alerts.filter((a) => !disabled(a)) }))
      .filter((k) => k.alerts.length > 0);
    if (missing.length === 0) continue;
    lines.push(
      `service ${name} declares no ${missing.map((k) => k.what).join(", no ")}: it gets no ${missing.flatMap((k) => k.alerts).join(", ")}`,
    );
  }
  return lines;
}

/** `label!~"/health|/ready|/metrics"`: probe and scrape traffic left out. */
export function pathMatcher(path: PathFilter | undefined): string {
  if (!path || path.exclude.length === 0) return "";
  const escaped = path.exclude.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&"));
  return `,${path.label}!~"${escaped.join("|")}"`;
}

/** Every series name a service's metrics give (a histogram's _bucket, _count and _sum), for checking custom rules. */
export function declaredSeries(config: SignalsConfig | undefined): string[] {
  const s = config ?? DEFAULT_SIGNALS;
  const declared = { ...CONVENTIONS[s.convention].metrics, ...s.metrics };
  return Object.entries(declared)
    .flatMap(([name, m]) =>
      m.type === "histogram" ? [name, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
    )
    .sort();
}
