/**
 * RFC 4180 CSV: CRLF between records, and a field holding a comma, a quote or a line break is
 * quoted with its quotes doubled. A field starting with =, +, - or @ gets a leading apostrophe
 * so that a spreadsheet shows it as text instead of running it as a formula (a resource URL or
 * a server's note is text chosen by whoever runs the paid API).
 */
export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

function csvField(value: string): string {
  const text = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
