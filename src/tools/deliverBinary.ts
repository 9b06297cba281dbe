import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Runtime } from "../runtime.js";

interface BinaryBody {
  mimeType: string;
  bytes: number;
  body: Buffer;
}

/**
 * Binary content reaches the model as an embedded resource when small, or as a file in
 * `content.downloadsDir` when that is set; never as mojibake text.
 */
export async function deliverBinary(
  rt: Runtime,
  url: string,
  binary: BinaryBody,
): Promise<{ content: CallToolResult["content"]; description: string; savedTo: string | null }> {
  const dir = rt.config.content.downloadsDir;
  if (dir) {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${Date.now()}-${safeName(url)}`);
    await writeFile(path, binary.body, { mode: 0o600 });
    return { content: [], description: `[binary content: ${binary.bytes} bytes of ${binary.mimeType}, saved to ${path}]`, savedTo: path };
  }
  if (binary.bytes <= rt.config.content.maxInlineBytes) {
    return {
      content: [{ type: "resource", resource: { uri: url, mimeType: binary.mimeType, blob: binary.body.toString("base64") } }],
      description: `[binary content: ${binary.bytes} bytes of ${binary.mimeType}, attached as an embedded resource]`,
      savedTo: null,
    };
  }
  return {
    content: [],
    description: `[binary content: ${binary.bytes} bytes of ${binary.mimeType}, larger than content.maxInlineBytes (${rt.config.content.maxInlineBytes}); set content.downloadsDir in the config to have it saved to a file]`,
    savedTo: null,
  };
}

/** A file name from the URL's last path segment, reduced to safe characters. */
function safeName(url: string): string {
  const last = basename(new URL(url).pathname) || "download";
  return last.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80) || "download";
}
