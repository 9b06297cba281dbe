/**
 * Output of the CLI commands. These run instead of the server, never beside it, so stdout is
 * theirs; the server path never imports this module.
 */

/** Writes `text` to stdout, ending it with a newline. */
export function print(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`); // stdout-ok: CLI command output, the server is not running
}

/** Writes `text` to stderr, ending it with a newline. */
export function printError(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}

/**
 * A plain-text table (a header, if any, is the first row): columns padded to their widest
 * cell, two spaces apart. A cell with newlines continues on the next lines in its own column.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const split = rows.map((row) => row.map((cell) => cell.split("\n")));
  const width = (column: number) => Math.max(0, ...split.flatMap((row) => (row[column] ?? []).map((line) => line.length)));
  const widths = Array.from({ length: Math.max(0, ...split.map((row) => row.length)) }, (_, column) => width(column));
  const lines: string[] = [];
  for (const row of split) {
    const height = Math.max(1, ...row.map((cell) => cell.length));
    for (let i = 0; i < height; i++) {
      lines.push(row.map((cell, column) => (cell[i] ?? "").padEnd(widths[column] ?? 0)).join("  ").trimEnd());
    }
  }
  return lines.join("\n");
}

/** Quotes a value for a POSIX shell only when it needs it. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
