import type TurndownService from "turndown";
import { resolveUrl } from "./htmlDocument.js";

type TurndownClass = typeof TurndownService;
type RuleNode = { getAttribute(name: string): string | null; nodeName: string; parentNode: RuleNode | null };

/** Never content, and their text (code, CSS, fallback notices, icon titles) would read as if it were. */
const NOT_CONTENT = ["script", "style", "noscript", "template", "head", "title", "svg", "canvas", "iframe", "object", "embed"];
const FOLLOWABLE = /^(https?|mailto|ftp):/i;

/**
 * A Turndown converter for one page: GFM tables and strikethrough, ATX headings, fenced code,
 * and every link and image made absolute against the page's base URL so the model can follow it.
 */
export function createMarkdownService(
  Turndown: TurndownClass,
  gfm: TurndownService.Plugin,
  baseUrl: string | undefined,
): TurndownService {
  const service = new Turndown({ headingStyle: "atx", codeBlockStyle: "fenced", bulletListMarker: "-", hr: "---" });
  service.use(gfm);
  service.remove(NOT_CONTENT as TurndownService.Filter);
  // The GFM plugin throws on a row or cell with no table around it (possible inside SVG or MathML).
  service.addRule("strayTablePart", {
    filter: (node: RuleNode) => ["TR", "TD", "TH"].includes(node.nodeName.toUpperCase()) && !insideTable(node),
    replacement: (content: string) => `${content} `,
  });
  service.addRule("absoluteLink", {
    filter: (node: RuleNode) => node.nodeName === "A" && node.getAttribute("href") !== null,
    replacement: (content: string, node: RuleNode) => {
      if (content.trim() === "") return "";
      const href = resolveUrl(node.getAttribute("href") ?? "", baseUrl);
      // javascript: and friends do nothing outside a browser; keep the words, drop the link.
      return href && FOLLOWABLE.test(href) ? `[${content}](${href})` : content;
    },
  });
  service.addRule("tableRowsOnce", {
    filter: (node: RuleNode) => {
      if (node.nodeName === "TABLE") freezeRows(node);
      return false;
    },
    replacement: () => "",
  });
  service.addRule("absoluteImage", {
    filter: "img",
    replacement: (_content: string, node: RuleNode) => {
      const alt = (node.getAttribute("alt") ?? "").replace(/\s+/g, " ").trim().replace(/[[\]]/g, "\\$&");
      const src = node.getAttribute("src") ?? "";
      // An inline data: image can be megabytes of base64; the alt text is what the model can use.
      const url = src.startsWith("data:") ? undefined : resolveUrl(src, baseUrl);
      if (src !== "" && url) return `![${alt}](${url})`;
      return alt ? `[image: ${alt}]` : "";
    },
  });
  return service;
}

/**
 * The GFM plugin reads `table.rows` inside loops over the rows, and Turndown's DOM (domino)
 * answers each read with a fresh getElementsByTagName("tr") that walks the whole table: a
 * 2 000-row table took 13 s. The DOM does not change while Turndown reads it, so one list per
 * table, taken when Turndown looks up the table's rule (before it converts the rows), is the
 * same answer. Turndown tries rules last-added first, so this filter sees each table before the
 * plugin's rules run on it; it never matches, and converts nothing itself.
 */
function freezeRows(table: RuleNode): void {
  Object.defineProperty(table, "rows", { value: Array.from((table as RuleNode & { rows: Iterable<RuleNode> }).rows) });
}

/** The plugin's own test: an HTML (upper-case) TABLE ancestor; an SVG "table" does not count. */
function insideTable(node: RuleNode): boolean {
  for (let parent = node.parentNode; parent; parent = parent.parentNode) if (parent.nodeName === "TABLE") return true;
  return false;
}
