/** What a Content-Type header says, reduced to the two things the renderer needs. */
export type ContentType = { mime: string | undefined; charset: string | undefined };

/** How a body is shown to the model. */
export type BodyKind = "html" | "json" | "text" | "image" | "binary";

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;
const JSON_MIME = /^(application|text)\/json$|\+json$/;
const TEXT_APPLICATION =
  /^application\/(xml|.+\+xml|javascript|x-javascript|ecmascript|x-www-form-urlencoded|(x-)?yaml|toml|(x-)?ndjson|csv|graphql|sql)$/;

/** A header that is not `type/subtype` counts as missing, so the body gets sniffed instead. */
export function parseContentType(header: string | undefined): ContentType {
  const mime = header?.split(";")[0]?.trim().toLowerCase();
  const valid = mime !== undefined && /^[\w.+-]+\/[\w.+-]+$/.test(mime);
  return { mime: valid ? mime : undefined, charset: header?.match(CHARSET)?.[1]?.toLowerCase() };
}

export function bodyKindOf(mime: string): BodyKind {
  if (mime === "text/html" || mime === "application/xhtml+xml") return "html";
  if (JSON_MIME.test(mime)) return "json";
  // SVG is XML the model can read; as an image content block most clients would refuse it.
  if (mime === "image/svg+xml") return "text";
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("text/") || TEXT_APPLICATION.test(mime)) return "text";
  return "binary";
}
