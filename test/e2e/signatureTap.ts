import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback proxy in front of a paid server that keeps every payment header reaching it:
 * "nothing was signed" is checked where a signature would land.
 */
export async function signatureTap(target: string) {
  const signatures: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string" && e[0] !== "host"));
    const payment = headers["payment-signature"] ?? headers["x-payment"];
    if (payment) signatures.push(payment);
    const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers });
    const skip = ["content-encoding", "content-length", "transfer-encoding", "connection"];
    res.writeHead(upstream.status, Object.fromEntries([...upstream.headers].filter(([k]) => !skip.includes(k))));
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    signatures,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
