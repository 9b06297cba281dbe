import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: { paid: boolean; body: string }) => void;

export interface HostileServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** How many requests to `path` carried a payment header (PAYMENT-SIGNATURE or X-PAYMENT). */
  paymentsAt(path: string): number;
  /** Payment headers received on any path. */
  totalPayments(): number;
  close(): Promise<void>;
}

/** A loopback HTTP server whose every route misbehaves on purpose. */
export async function startHostileServer(routes: Record<string, Handler>): Promise<HostileServer> {
  const payments = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const paid = Boolean(req.headers["payment-signature"] || req.headers["x-payment"]);
    if (paid) payments.set(path, (payments.get(path) ?? 0) + 1);
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const handler = routes[path];
      if (!handler) {
        res.writeHead(404).end("not found");
        return;
      }
      handler(req, res, { paid, body });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paymentsAt: (path) => payments.get(path) ?? 0,
    totalPayments: () => [...payments.values()].reduce((a, b) => a + b, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A v2 402 answer: base64 JSON in PAYMENT-REQUIRED. */
export function send402v2(res: ServerResponse, accepts: unknown[], error?: string): void {
  const header = Buffer.from(JSON.stringify({ x402Version: 2, error, resource: { url: "http://hostile.test/" }, accepts })).toString("base64");
  res.writeHead(402, { "PAYMENT-REQUIRED": header, "content-type": "application/json" }).end("{}");
}

export function send402v1(res: ServerResponse, accepts: unknown[], error?: string): void {
  res.writeHead(402, { "content-type": "application/json" }).end(JSON.stringify({ x402Version: 1, error, accepts }));
}

export function settlementHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64");
}
