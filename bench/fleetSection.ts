import { formatTable, type Row } from "./stats.js";

/** The fleet scenarios (issue 9): their figures live in their own section of RESULTS.md. */
export const FLEET_SCENARIOS = ["httpVsStdio", "redisReservations", "fleetThroughput"] as const;

export const FLEET_HEADING = "## Fleet (issue 9)";

/** The fleet section: how it was run, its table, its notes and failures. */
export function fleetSection(r: { machine: string[]; rows: Row[]; notes: string[]; failures: string[] }): string {
  return [
    FLEET_HEADING,
    "",
    "Streamable HTTP against stdio, reservations per second on one wallet's Redis budget, and paid calls per second of a fleet of 4 servers on one Redis. " +
      "A run of the three fleet scenarios (`npm run bench -- fleet`) replaces this section only; a full run writes it with the rest.",
    "",
    ...r.machine,
    "",
    formatTable(r.rows),
    "",
    "### Notes",
    "",
    ...r.notes.map((n) => `- ${n}`),
    ...(r.failures.length > 0 ? ["", "### Failures", "", ...r.failures.map((f) => "```\n" + f + "\n```")] : []),
    "",
  ].join("\n");
}

/** The fleet section of a RESULTS.md text (from its heading to the next "## " heading), or "" when it has none. */
export function extractFleetSection(text: string): string {
  const { start, end } = bounds(text);
  return start === -1 ? "" : text.slice(start, end);
}

/** `text` with its fleet section replaced by `section` (appended when it had none; removed when `section` is ""). */
export function withFleetSection(text: string, section: string): string {
  const { start, end } = bounds(text);
  const body = section === "" ? "" : section.endsWith("\n") ? section : `${section}\n`;
  if (start === -1) return body === "" ? text : `${text.replace(/\n*$/, "\n\n")}${body}`;
  return text.slice(0, start) + body + (end < text.length && body !== "" ? "\n" : "") + text.slice(end);
}

function bounds(text: string): { start: number; end: number } {
  const start = text.startsWith(`${FLEET_HEADING}\n`) ? 0 : text.indexOf(`\n${FLEET_HEADING}\n`) + 1;
  if (start <= 0 && !text.startsWith(`${FLEET_HEADING}\n`)) return { start: -1, end: -1 };
  const next = text.indexOf("\n## ", start + FLEET_HEADING.length);
  return { start, end: next === -1 ? text.length : next + 1 };
}
