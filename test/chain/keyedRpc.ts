import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface KeyedRpc {
  /** The URL an owner would configure: user and password, a key in the path and one in the query. */
  url: string;
  /** Every secret part of `url`, and the basic-auth header made of two of them: none may ever be shown. */
  secrets: string[];
  close(): Promise<void>;
}

const secret = (prefix: string) => `${prefix}${randomBytes(6).toString("hex")}`;

/** The same URL shape with its own secrets, on a port where nothing answers. */
export function deadKeyedRpcUrl(port: number): { url: string; secrets: string[] } {
  const [user, pass, pathKey, queryKey] = [secret("user"), secret("pass"), secret("pathkey"), secret("querykey")];
  return { url: `http://${user}:${pass}@127.0.0.1:${port}/v3/${pathKey}?apikey=${queryKey}`, secrets: secretsOf(user, pass, pathKey, queryKey) };
}

/**
 * A loopback RPC that wants its credentials as hosted ones do (basic auth, Infura's key in
 * the path, an API key in the query) and forwards what it accepts to the rig's anvil.
 */
export async function startKeyedRpc(upstream: string): Promise<KeyedRpc> {
  const [user, pass, pathKey, queryKey] = [secret("user"), secret("pass"), secret("pathkey"), secret("querykey")];
  const expectedAuth = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url !== `/v3/${pathKey}?apikey=${queryKey}` || req.headers.authorization !== expectedAuth) {
      return void res.writeHead(401, { "content-type": "text/plain" }).end("unauthorized");
    }
    const answer = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
    res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${user}:${pass}@127.0.0.1:${port}/v3/${pathKey}?apikey=${queryKey}`,
    secrets: secretsOf(user, pass, pathKey, queryKey),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function secretsOf(user: string, pass: string, pathKey: string, queryKey: string): string[] {
  return [user, pass, pathKey, queryKey, Buffer.from(`${user}:${pass}`).toString("base64")];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}
