import type { isProbablyReaderable, Readability as ReadabilityClass } from "@mozilla/readability";
import type TurndownService from "turndown";
import { baseUrlOf, parseHtmlDocument, type ParseHtml } from "./htmlDocument.js";
import { createMarkdownService } from "./markdownService.js";

export type HtmlMarkdown = { markdown: string; title: string | undefined };

type HtmlTools = {
  parseHTML: ParseHtml;
  Readability: typeof ReadabilityClass;
  isProbablyReaderable: typeof isProbablyReaderable;
  Turndown: typeof TurndownService;
  gfm: TurndownService.Plugin;
};

let tools: Promise<HtmlTools> | undefined;

/**
 * The DOM, Readability and Turndown load on the first HTML page rather than at start-up:
 * importing them takes about 150 ms and 30 MB, which the server's cold start (and every
 * session that never meets HTML) should not pay.
 */
function loadHtmlTools(): Promise<HtmlTools> {
  tools ??= Promise.all([
    import("linkedom"),
    import("@mozilla/readability"),
    import("turndown"),
    import("@joplin/turndown-plugin-gfm"),
  ]).then(([linkedom, readability, turndown, gfm]) => ({
    parseHTML: linkedom.parseHTML as ParseHtml,
    Readability: readability.Readability,
    isProbablyReaderable: readability.isProbablyReaderable,
    Turndown: turndown.default,
    gfm: gfm.gfm,
  }));
  return tools;
}

/**
 * The readable part of a page as markdown. An article-like page gives Readability's article
 * (navigation, ads, sidebars and footers dropped); any other page, or one where Readability
 * finds nothing, gives its whole body, because on a status page or a link list Readability
 * keeps some random fragment. Links and images are absolute, resolved against `url` (or the
 * page's `<base href>`). Scripts, styles and other non-content never reach the markdown.
 */
export async function htmlToMarkdown(html: string, url: string): Promise<HtmlMarkdown> {
  const { parseHTML, Readability, isProbablyReaderable, Turndown, gfm } = await loadHtmlTools();
  const document = parseHtmlDocument(parseHTML, html);
  const baseUrl = baseUrlOf(document, url);
  const pageTitle = document.title;
  const readerable = isProbablyReaderable(document);
  const article = readerable ? new Readability(document).parse() : null;
  // Readability takes the document apart as it reads it: its fallback needs a fresh parse.
  const content = article?.textContent?.trim()
    ? article.content ?? ""
    : (readerable ? parseHtmlDocument(parseHTML, html) : document).body.innerHTML;
  const markdown = createMarkdownService(Turndown, gfm, baseUrl).turndown(content);
  return { markdown: markdown.replace(/\n{3,}/g, "\n\n").trim(), title: nonEmpty(article?.title) ?? nonEmpty(pageTitle) };
}

function nonEmpty(text: string | null | undefined): string | undefined {
  const trimmed = text?.replace(/\s+/g, " ").trim();
  return trimmed ? trimmed : undefined;
}
