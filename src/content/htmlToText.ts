import { setImmediate as yieldToEventLoop } from "node:timers/promises";

/** Their text is code, styling or fallback markup, never something a reader of the page sees. */
const HIDDEN = new Set(["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "textarea", "title"]);
const LINE_BREAK = new Set(["br", "tr", "li", "div", "dt", "dd", "caption", "figcaption", "summary", "option", "label"]);
const PARAGRAPH = new Set([
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote", "pre", "section", "article",
  "header", "footer", "nav", "aside", "main", "form", "figure", "hr", "address", "details", "fieldset",
]);
const CELL = new Set(["td", "th"]);
const NAMED_ENTITIES: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", shy: "", copy: "©", reg: "®", trade: "™",
  hellip: "…", mdash: "—", ndash: "–", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", laquo: "«", raquo: "»",
  bull: "•", middot: "·", euro: "€", pound: "£", yen: "¥", cent: "¢", deg: "°", times: "×", divide: "÷", sect: "§", para: "¶",
};
const TAG_NAME = /<\/?([a-zA-Z][a-zA-Z0-9-]*)/y;
/** About 10 ms of scanning between two turns of the event loop. */
const SLICE_CHARS = 100_000;

/**
 * The title and visible text of a page, in one pass over the markup and without a DOM, for a
 * page too large or too slow to convert to markdown. Every search moves forward from where the
 * last one ended, or is never repeated once it has failed, so the time grows with the page's
 * length and nothing in the markup (unclosed tags, deep nesting, huge tables) can make it worse;
 * the event loop gets a turn every 100 000 characters, so a 100 MB page stalls no other call.
 */
export async function htmlToText(html: string): Promise<string> {
  const out = new TextOut();
  const endTags = new Map<string, RegExp>();
  const unclosed = new Set<string>();
  let title = "";
  let at = 0;
  let yieldAt = SLICE_CHARS;
  while (at < html.length) {
    if (at >= yieldAt) {
      await yieldToEventLoop();
      yieldAt = at + SLICE_CHARS;
    }
    const open = html.indexOf("<", at);
    if (open < 0) {
      out.text(html.slice(at));
      break;
    }
    out.text(html.slice(at, open));
    if (html.startsWith("<!--", open)) {
      const end = html.indexOf("-->", open + 4);
      if (end < 0) break;
      at = end + 3;
      continue;
    }
    const next = html[open + 1] ?? "";
    if (!/[a-zA-Z/!?]/.test(next)) {
      // A "<" that starts no tag ("a < b") is text.
      out.text("<");
      at = open + 1;
      continue;
    }
    const close = html.indexOf(">", open);
    if (close < 0) break;
    at = close + 1;
    TAG_NAME.lastIndex = open;
    const name = TAG_NAME.exec(html)?.[1]?.toLowerCase();
    if (!name) continue;
    const isEndTag = next === "/";
    if (!isEndTag && HIDDEN.has(name) && !unclosed.has(name)) {
      const endTag = endTags.get(name) ?? new RegExp(`</${name}\\s*>`, "gi");
      endTags.set(name, endTag);
      endTag.lastIndex = at;
      const found = endTag.exec(html);
      if (!found) {
        // No end tag anywhere after this one: the next search for it would fail too.
        unclosed.add(name);
        continue;
      }
      if (name === "title" && !title) title = decodeEntities(html.slice(at, found.index)).replace(/\s+/g, " ").trim();
      at = found.index + found[0].length;
      continue;
    }
    if (PARAGRAPH.has(name)) out.lineBreak(2);
    else if (LINE_BREAK.has(name)) out.lineBreak(1);
    else if (CELL.has(name) && !isEndTag) out.space();
  }
  return [title, out.result()].filter(Boolean).join("\n\n");
}

/**
 * Text laid out as a browser shows it: whitespace in the source is one space, a tag may start a
 * new line or leave a blank one, and nothing is written before the first word or after the last.
 */
class TextOut {
  readonly #parts: string[] = [];
  #lines: 0 | 1 | 2 = 0;
  #space = false;

  text(source: string): void {
    if (source === "") return;
    const text = decodeEntities(source).replace(/\s+/g, " ");
    const words = text.trim();
    if (words === "") {
      this.#space = true;
      return;
    }
    if (this.#parts.length > 0) {
      this.#parts.push(this.#lines === 2 ? "\n\n" : this.#lines === 1 ? "\n" : this.#space || text.startsWith(" ") ? " " : "");
    }
    this.#parts.push(words);
    this.#lines = 0;
    this.#space = text.endsWith(" ");
  }

  lineBreak(lines: 1 | 2): void {
    if (lines > this.#lines) this.#lines = lines;
  }

  space(): void {
    this.#space = true;
  }

  result(): string {
    return this.#parts.join("");
  }
}

function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (entity, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[name] ?? entity;
  });
}
