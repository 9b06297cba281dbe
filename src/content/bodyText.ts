import { bodyKindOf, parseContentType } from "./contentType.js";
import { decodeText } from "./decodeText.js";
import { sniffBodyKind } from "./sniffBody.js";

/**
 * The body as text for the model, synchronously and without conversion (renderBody does
 * markdown, JSON and images); binary content is described, never dumped as mojibake.
 */
export function bodyText(body: Buffer, contentType: string | undefined): string {
  if (body.length === 0) return "";
  const { mime, charset } = parseContentType(contentType);
  const kind = mime ? bodyKindOf(mime) : sniffBodyKind(body);
  if (kind !== "image" && kind !== "binary") return decodeText(body, charset);
  return `[binary content: ${body.length} bytes of ${mime ?? "unknown type"}; not shown as text]`;
}
