import { TextDecoder } from "node:util";

const BOMS: ReadonlyArray<{ bytes: readonly number[]; encoding: string }> = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: "utf-8" },
  { bytes: [0xff, 0xfe], encoding: "utf-16le" },
  { bytes: [0xfe, 0xff], encoding: "utf-16be" },
];

/**
 * The body as a string. A byte-order mark wins over the declared charset (as browsers do);
 * an unknown or missing charset means UTF-8. Undecodable bytes become U+FFFD, never an error.
 */
export function decodeText(body: Buffer, charset: string | undefined): string {
  const bom = BOMS.find(({ bytes }) => bytes.every((byte, i) => body[i] === byte));
  return decoderFor(bom?.encoding ?? charset).decode(body);
}

function decoderFor(label: string | undefined): TextDecoder {
  try {
    return new TextDecoder(label ?? "utf-8");
  } catch {
    return new TextDecoder("utf-8");
  }
}

const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i;

/**
 * The charset an HTML page declares in a `<meta>` tag, for pages whose Content-Type omits it
 * (common on older latin1 sites). Browsers look only at the first 1024 bytes; so do we.
 */
export function htmlMetaCharset(body: Buffer): string | undefined {
  const declared = body.subarray(0, 1024).toString("latin1").match(META_CHARSET)?.[1]?.toLowerCase();
  // A page whose meta tag reads as ASCII cannot be UTF-16, whatever it claims (HTML spec, prescan).
  return declared?.startsWith("utf-16") ? "utf-8" : declared;
}
