// Parsing of the human-written quantities that stack files use: durations ("30s", "1h30m"),
// byte sizes ("256Mi", "10MB", "1Gi") and CPU ("500m", "0.5", "2"). Every parser either returns
// a number in base units or a message that says what would be right, so the config schema can
// report the key path and the reason together.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const DURATION_UNITS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

/** Parses a Go/Prometheus-style duration ("90s", "5m", "1h30m", "7d") into seconds. */
export function parseDuration(text: string): Parsed<number> {
  const trimmed = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(trimmed)) !== null) {
    total += Number(match[1]) * DURATION_UNITS[match[2]];
    consumed = re.lastIndex;
  }
  if (trimmed.length === 0 || consumed !== trimmed.length) {
    return {
      ok: false,
      message: `"${text}" is not a duration; write a number with a unit, e.g. "30s", "5m", "1h30m" or "7d" (units: ms, s, m, h, d, w)`,
    };
  }
  return { ok: true, value: total };
}

const SIZE_UNITS: Record<string, number> = {
  B: 1,
  K: 1e3,
  KB: 1e3,
  M: 1e6,
  MB: 1e6,
  G: 1e9,
  GB: 1e9,
  T: 1e12,
  TB: 1e12,
  Ki: 1024,
  KiB: 1024,
  Mi: 1024 ** 2,
  MiB: 1024 ** 2,
  Gi: 1024 ** 3,
  GiB: 1024 ** 3,
  Ti: 1024 ** 4,
  TiB: 1024 ** 4,
};

/**
 * Parses a byte size ("256Mi", "10MB", "1Gi", "512B") into bytes. A number without a unit is
 * refused: "512" could mean bytes (Kubernetes), kilobytes or megabytes (other tools).
 */
export function parseSize(text: string): Parsed<number> {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/.exec(text.trim());
  if (match && match[2] === undefined) {
    return {
      ok: false,
      message: `"${text}" has no unit; write it with one, e.g. "${match[1]}Mi" or "${match[1]}MB" (units: B, K, KB, Ki, KiB, M, MB, Mi, MiB, G, GB, Gi, GiB, T, TB, Ti, TiB)`,
    };
  }
  if (!match || SIZE_UNITS[match[2]] === undefined) {
    return {
      ok: false,
      message: `"${text}" is not a size; write a number with a unit, e.g. "256Mi", "1Gi" or "10MB"`,
    };
  }
  return { ok: true, value: Math.round(Number(match[1]) * SIZE_UNITS[match[2]]) };
}

/** Parses a CPU quantity ("500m", "0.5", "2") into millicores. */
export function parseCpu(text: string): Parsed<number> {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(text.trim());
  if (!match) {
    return {
      ok: false,
      message: `"${text}" is not a CPU quantity; write cores ("0.5", "2") or millicores ("500m")`,
    };
  }
  const value = match[2] === "m" ? Number(match[1]) : Number(match[1]) * 1000;
  if (value <= 0) return { ok: false, message: `"${text}" must be more than zero` };
  return { ok: true, value: Math.round(value) };
}

/** Kubernetes quantity for a byte count: exact binary units where possible, bytes otherwise. */
export function bytesToQuantity(bytes: number): string {
  for (const [unit, factor] of [
    ["Gi", 1024 ** 3],
    ["Mi", 1024 ** 2],
    ["Ki", 1024],
  ] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** Kubernetes CPU quantity for millicores. */
export function millicoresToQuantity(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** Prometheus/Go duration text for seconds ("1h30m", "45s"), the shortest exact form. */
export function secondsToDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  if (!Number.isInteger(seconds)) return `${Math.round(seconds * 1000)}ms`;
  let rest = seconds;
  let out = "";
  for (const [unit, factor] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (rest >= factor) {
      out += `${Math.floor(rest / factor)}${unit}`;
      rest %= factor;
    }
  }
  return out;
}
