/** The slice of the DOM this module touches; the TypeScript config has no DOM lib, and linkedom's types lean on it. */
export interface DomNode {
  readonly nodeType: number;
  readonly localName?: string;
  readonly childNodes: Iterable<DomNode>;
}

export interface DomElement extends DomNode {
  readonly innerHTML: string;
  getAttribute(name: string): string | null;
  appendChild(node: DomNode): DomNode;
}

export interface DomDocument extends DomNode {
  readonly title: string;
  readonly head: DomElement;
  readonly body: DomElement;
  querySelector(selector: string): DomElement | null;
  importNode(node: DomNode, deep: boolean): DomNode;
}

export type ParseHtml = (html: string) => { document: DomDocument };

const ELEMENT = 1;
const DOCUMENT_TYPE = 10;
const WRAPPERS = new Set(["html", "head", "body"]);
const HEAD_ONLY = new Set(["title", "base", "meta", "link"]);
const SHELL = "<!doctype html><html><head></head><body></body></html>";

/**
 * The page as a document with a real `<html><head><body>`. linkedom does not build the
 * implied elements an HTML5 parser adds, so a page written `<title>…</title><p>…` (valid
 * HTML) would leave Readability with no body; such pages are rebuilt into a clean shell.
 */
export function parseHtmlDocument(parseHTML: ParseHtml, html: string): DomDocument {
  const { document } = parseHTML(html);
  if (document.querySelector("html > body")) return document;
  const shell = parseHTML(SHELL).document;
  const place = (node: DomNode): void => {
    if (node.nodeType === DOCUMENT_TYPE) return;
    const name = node.nodeType === ELEMENT ? node.localName ?? "" : "";
    if (WRAPPERS.has(name)) {
      for (const child of [...node.childNodes]) place(child);
      return;
    }
    (HEAD_ONLY.has(name) ? shell.head : shell.body).appendChild(shell.importNode(node, true));
  };
  for (const node of [...document.childNodes]) place(node);
  return shell;
}

/** Where the page's relative links point: its `<base href>` if any, else its own URL. */
export function baseUrlOf(document: DomDocument, url: string): string | undefined {
  return resolveUrl(document.querySelector("base[href]")?.getAttribute("href") ?? "", url);
}

export function resolveUrl(href: string, base: string | undefined): string | undefined {
  try {
    return new URL(href.trim(), base).href;
  } catch {
    return undefined;
  }
}
