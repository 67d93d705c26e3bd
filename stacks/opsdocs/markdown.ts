// Small Markdown builders: tables with escaped cells, fenced shell blocks, explicit anchors.
import { cronLongestGapSeconds } from "../../components/fields";
import { bytesToQuantity, millicoresToQuantity, secondsToDuration } from "../../components/workloads/units";

export function table(header: string[], rows: string[][]): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `| ${header.map(cell).join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

export function sh(lines: string[]): string {
  return ["```sh", ...lines, "```"].join("\n");
}

export const code = (s: string) => (s.includes("`") ? `\`\` ${s} \`\`` : `\`${s}\``);

/** An explicit anchor, so links do not depend on how a renderer slugs headings. */
export const anchor = (id: string) => `<a id="${id}"></a>`;

/** Bytes as a Kubernetes-style quantity where it divides evenly (Mi, Gi), else in MB or GB. */
export function mem(bytes: number): string {
  const q = bytesToQuantity(bytes);
  if (!/^\d+$/.test(q) || bytes < 1000) return q;
  if (bytes % 1e9 === 0) return `${bytes / 1e9}GB`;
  if (bytes % 1e6 === 0) return `${bytes / 1e6}MB`;
  if (bytes % 1e3 === 0) return `${bytes / 1e3}kB`;
  return `${(bytes / 1024 ** 2).toFixed(1)}Mi`;
}

/** Alert annotation templates in prose: `{{ $labels.job }}` -> `<job>` in a code span. */
export const untemplate = (s: string) => s.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, "`<$1>`");
export const cpu = (millicores: number) => millicoresToQuantity(millicores);
export const dur = (seconds: number) => secondsToDuration(seconds);

export function list(items: string[]): string {
  return items.map((i) => `- ${i}`).join("\n");
}

export function join(...blocks: Array<string | undefined | false>): string {
  return (
    blocks
      .filter((b): b is string => typeof b === "string" && b.length > 0)
      .join("\n\n")
      .replace(/\n{3,}/g, "\n\n") + "\n"
  );
}

/** A cron expression in words where it is one of the common shapes; otherwise as written. */
export function cronWords(expr: string): string {
  const [m, h, dom, mon, dow] = expr.split(/\s+/);
  const at = /^\d+$/.test(m) && /^\d+$/.test(h) ? `${h.padStart(2, "0")}:${m.padStart(2, "0")} UTC` : undefined;
  const days = ["Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"];
  if (at && dom === "*" && mon === "*" && dow === "*") return `daily at ${at}`;
  if (at && dom === "*" && mon === "*" && /^[0-6]$/.test(dow)) return `${days[Number(dow)]} at ${at}`;
  if (at && /^\d+$/.test(dom) && mon === "*" && dow === "*") return `on day ${dom} of each month at ${at}`;
  const every = /^\*\/(\d+)$/.exec(m);
  if (every && h === "*" && dom === "*" && mon === "*" && dow === "*") return `every ${every[1]} minutes`;
  return `\`${expr}\` (cron, UTC)`;
}

/** Longest gap between two runs of a cron expression (the cron library's reading, components/jobs). */
export function cronInterval(expr: string): string {
  return secondsToDuration(cronLongestGapSeconds(expr));
}
