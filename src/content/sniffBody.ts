import { isUtf8 } from "node:buffer";

/** The image types model APIs accept as image content, told apart by their first bytes. */
export type ImageMime = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

const startsWith = (body: Buffer, bytes: readonly number[], at = 0): boolean =>
  body.length >= at + bytes.length && bytes.every((byte, i) => body[at + i] === byte);

/**
 * The real type of an image body, or undefined when it is none of the four: a server that labels
 * its JPEG "image/png" (or its HTML error page "image/png") would otherwise get the whole
 * tool result rejected by the model's API.
 */
export function sniffImage(body: Buffer): ImageMime | undefined {
  if (startsWith(body, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(body, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(body, [0x47, 0x49, 0x46, 0x38])) return "image/gif";
  if (startsWith(body, [0x52, 0x49, 0x46, 0x46]) && startsWith(body, [0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return undefined;
}

/** For a body with no usable Content-Type: an image by its magic bytes, text if it is clean UTF-8, else binary. */
export function sniffBodyKind(body: Buffer): "image" | "text" | "binary" {
  if (sniffImage(body)) return "image";
  return isUtf8(body) && !body.includes(0) ? "text" : "binary";
}
