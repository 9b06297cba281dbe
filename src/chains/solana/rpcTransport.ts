import type { RpcTransport } from "@solana/kit";
import { Agent, request, type Dispatcher } from "undici";
import { redactRpcUrl } from "../redactRpcUrl.js";

const MAX_RPC_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * JSON-RPC over HTTP for kit's Solana RPC client, on its own keep-alive undici agent. kit's
 * default transport goes through the global fetch with an explicit content-length, which
 * the npm undici this server loads (and installs as the global dispatcher) refuses. JSON
 * numbers are parsed as numbers: kit turns them into bigints, and every token amount the
 * wallet reads arrives as a string. Errors name the URL redacted: they reach tool output.
 */
export class SolanaRpcTransports {
  private readonly dispatcher: Dispatcher = new Agent({ maxResponseSize: MAX_RPC_RESPONSE_BYTES });

  constructor(private readonly timeoutMs: number) {}

  transport(rpcUrl: string): RpcTransport {
    const shown = redactRpcUrl(rpcUrl);
    return (async ({ payload, signal }: { payload: unknown; signal?: AbortSignal }) => {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      let text: string;
      try {
        const answer = await request(rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload),
          dispatcher: this.dispatcher,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        text = await answer.body.text();
        if (answer.statusCode < 200 || answer.statusCode > 299) throw new Error(`HTTP ${answer.statusCode}`);
      } catch (error) {
        throw new Error(`Solana RPC ${shown}: ${timeout.aborted ? `no answer within ${this.timeoutMs} ms` : (error as Error).message}`);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`Solana RPC ${shown} answered with something other than JSON`);
      }
    }) as RpcTransport;
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
