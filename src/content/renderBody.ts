import { bodyKindOf, parseContentType } from "./contentType.js";
import { decodeText, htmlMetaCharset } from "./decodeText.js";
import { HtmlConverter } from "./htmlConverter.js";
import { htmlToText } from "./htmlToText.js";
import { prettyJson } from "./prettyJson.js";
import { sniffBodyKind, sniffImage } from "./sniffBody.js";

export type RenderBodyArgs = {
  body: Buffer;
  contentType: string | undefined;
  /** The response's URL: relative links in HTML resolve against it. */
  url: string;
  /** Text exactly as received: no markdown conversion, no JSON re-indenting. */
  raw: boolean;
  /** Larger images come back as binary instead of filling the model's context. */
  maxImageBytes: number;
};

/**
 * "raw" is the decoded body untouched, because the caller asked for it or because the HTML
 * could not be converted; "text" is a text type (or invalid JSON) that needed no conversion,
 * or the plain text of a page too large or too slow to convert, under a note that says so.
 */
export type TextFormat = "markdown" | "json" | "text" | "raw";

export type RenderedBody =
  | { kind: "text"; text: string; format: TextFormat }
  | { kind: "image"; mimeType: string; base64: string; bytes: number }
  | { kind: "binary"; mimeType: string; bytes: number; body: Buffer };

/** One converter (one worker thread) for the process, made on the first HTML page. */
let htmlConverter: HtmlConverter | undefined;

/** A response body as the model should read it: markdown for HTML, indented JSON, text, an image, or binary left out. */
export async function renderBody(args: RenderBodyArgs): Promise<RenderedBody> {
  const { body, raw } = args;
  const { mime, charset } = parseContentType(args.contentType);
  const kind = mime ? bodyKindOf(mime) : sniffBodyKind(body);
  switch (kind) {
    case "html": {
      const html = decodeText(body, charset ?? htmlMetaCharset(body));
      if (raw) return { kind: "text", text: html, format: "raw" };
      return renderHtml(html, args.url);
    }
    case "json": {
      const text = decodeText(body, charset);
      if (raw) return { kind: "text", text, format: "raw" };
      const pretty = prettyJson(text);
      return pretty === undefined ? { kind: "text", text, format: "text" } : { kind: "text", text: pretty, format: "json" };
    }
    case "text":
      return { kind: "text", text: decodeText(body, charset), format: raw ? "raw" : "text" };
    case "image": {
      const imageMime = sniffImage(body);
      if (imageMime && body.length <= args.maxImageBytes) {
        return { kind: "image", mimeType: imageMime, base64: body.toString("base64"), bytes: body.length };
      }
      return binary(body, mime ?? imageMime);
    }
    case "binary":
      return binary(body, mime);
  }
}

async function renderHtml(html: string, url: string): Promise<RenderedBody> {
  htmlConverter ??= new HtmlConverter();
  const conversion = await htmlConverter.convert(html, url);
  switch (conversion.outcome) {
    case "converted":
      return { kind: "text", text: withTitle(conversion.converted.markdown, conversion.converted.title), format: "markdown" };
    case "skipped":
      return { kind: "text", text: `[Not converted to markdown: ${conversion.reason}. Its plain text follows.]\n\n${await htmlToText(html)}`, format: "text" };
    case "failed":
      // The body may have been paid for: markup the converter chokes on still reaches the model, as source.
      return { kind: "text", text: html, format: "raw" };
  }
}

function binary(body: Buffer, mime: string | undefined): RenderedBody {
  return { kind: "binary", mimeType: mime ?? "application/octet-stream", bytes: body.length, body };
}

/** Readability lifts the title out of the article, so it is put back unless the page already starts with it. */
function withTitle(markdown: string, title: string | undefined): string {
  if (!title) return markdown;
  const firstLine = markdown.split("\n", 1)[0]?.replace(/^#+\s*/, "").trim();
  return firstLine === title ? markdown : `# ${title}\n\n${markdown}`.trim();
}
