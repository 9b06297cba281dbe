const INDENT = "  ";
const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const DELIMITERS = new Set([...WHITESPACE, ",", "]", "}"]);
const CLOSER: Record<string, string> = { "{": "}", "[": "]" };

/**
 * Valid JSON re-indented with two spaces, or undefined when the text is not JSON.
 * Tokens are copied as written instead of going through JSON.parse and JSON.stringify, which
 * would round a 20-digit amount to a double: a payments tool must show numbers exactly as sent.
 * The layout is the same as JSON.stringify(value, null, 2).
 */
export function prettyJson(text: string): string | undefined {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  const out: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (WHITESPACE.has(ch)) continue;
    if (ch === '"') {
      const end = stringEnd(text, i);
      out.push(text.slice(i, end));
      i = end - 1;
    } else if (ch === "{" || ch === "[") {
      const next = nextToken(text, i + 1);
      if (text[next] === CLOSER[ch]) {
        out.push(ch, text[next] as string);
        i = next;
      } else {
        depth++;
        out.push(ch, "\n", INDENT.repeat(depth));
      }
    } else if (ch === "}" || ch === "]") {
      depth--;
      out.push("\n", INDENT.repeat(depth), ch);
    } else if (ch === ",") {
      out.push(",\n", INDENT.repeat(depth));
    } else if (ch === ":") {
      out.push(": ");
    } else {
      const end = literalEnd(text, i);
      out.push(text.slice(i, end));
      i = end - 1;
    }
  }
  return out.join("");
}

/** Index just past the closing quote of the string opening at `start`; the text is valid JSON. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}

/** A number, true, false or null runs until the next delimiter. */
function literalEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && !DELIMITERS.has(text[i] as string)) i++;
  return i;
}

function nextToken(text: string, from: number): number {
  let i = from;
  while (WHITESPACE.has(text[i] as string)) i++;
  return i;
}
