import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Relayer, SignedAuthorization } from "../rig/relayer.js";

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

/** The parts of a v2 PAYMENT-SIGNATURE a settling server reads. */
export interface PaymentV2 {
  accepted: { network: string };
  payload: SignedAuthorization;
}

export function paymentV2Of(req: IncomingMessage): PaymentV2 {
  return JSON.parse(Buffer.from(String(req.headers["payment-signature"]), "base64").toString("utf8")) as PaymentV2;
}

/**
 * Settles the first payment it is sent for real, then answers every later one with that
 * first transaction: a real transfer of the same terms, but of another authorization. The
 * later authorizations are never submitted. `received` keeps every payment, in order.
 */
export function replayFirstSettlement(accepts: unknown[], relayer: Relayer): { handler: Handler; received: PaymentV2[] } {
  const received: PaymentV2[] = [];
  let first: Promise<string> | undefined;
  const handler: Handler = (req, res, { paid }) => {
    if (!paid) return send402v2(res, accepts);
    const payment = paymentV2Of(req);
    received.push(payment);
    first ??= relayer.settle(payment.payload);
    first.then(
      (transaction) =>
        res
          .writeHead(200, { "PAYMENT-RESPONSE": settlementHeader({ success: true, transaction, network: payment.accepted.network }) })
          .end("content"),
      (error: Error) => res.writeHead(500).end(`settlement failed: ${error.message}`),
    );
  };
  return { handler, received };
}
