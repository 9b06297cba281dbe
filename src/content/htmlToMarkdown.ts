import { gfm } from "@joplin/turndown-plugin-gfm";
import { isProbablyReaderable, Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import Turndown from "turndown";
import { baseUrlOf, parseHtmlDocument, type ParseHtml } from "./htmlDocument.js";
import { createMarkdownService } from "./markdownService.js";

export type HtmlMarkdown = { markdown: string; title: string | undefined };

/**
 * The readable part of a page as markdown. An article-like page gives Readability's article
 * (navigation, ads, sidebars and footers dropped); any other page, or one where Readability
 * finds nothing, gives its whole body, because on a status page or a link list Readability
 * keeps some random fragment. Links and images are absolute, resolved against `url` (or the
 * page's `<base href>`). Scripts, styles and other non-content never reach the markdown.
 * The server runs it on the worker in htmlWorker.ts: the modules it imports are heavy, and a
 * large page can keep it busy for seconds.
 */
export function htmlToMarkdown(html: string, url: string): HtmlMarkdown {
  const document = parseHtmlDocument(parseHTML as ParseHtml, html);
  const baseUrl = baseUrlOf(document, url);
  const pageTitle = document.title;
  const readerable = isProbablyReaderable(document);
  const article = readerable ? new Readability(document).parse() : null;
  // Readability takes the document apart as it reads it: its fallback needs a fresh parse.
  const content = article?.textContent?.trim()
    ? article.content ?? ""
    : (readerable ? parseHtmlDocument(parseHTML as ParseHtml, html) : document).body.innerHTML;
  const markdown = createMarkdownService(Turndown, gfm, baseUrl).turndown(content);
  return { markdown: markdown.replace(/\n{3,}/g, "\n\n").trim(), title: nonEmpty(article?.title) ?? nonEmpty(pageTitle) };
}

function nonEmpty(text: string | null | undefined): string | undefined {
  const trimmed = text?.replace(/\s+/g, " ").trim();
  return trimmed ? trimmed : undefined;
}
