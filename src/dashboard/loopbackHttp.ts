import { createHash } from "node:crypto";
import type { Server, ServerResponse } from "node:http";

/** What the wallet's loopback pages (dashboard, approval) share. */

/** Equal-length digests, so the comparison takes the same time whatever was sent. */
export function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

export function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

export function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
