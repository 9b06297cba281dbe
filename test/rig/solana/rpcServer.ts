import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  address,
  getBase58Decoder,
  getBase58Encoder,
  getBase64Decoder,
  getBase64Encoder,
  lamports,
  type Address,
  type MaybeEncodedAccount,
  type ReadonlyUint8Array,
} from "@solana/kit";
import { RejectedTransaction, type LocalSvm } from "./chain.js";
import { jsonParsedData, readMint, readTokenAccount, uiTokenAmount } from "./tokenAccounts.js";
import { feeForMessage, transactionToRpc, type TransactionEncoding } from "./transactionJson.js";

/**
 * Devnet's genesis hash: the CAIP-2 id solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1 is its first 32
 * characters, and a wallet's doctor compares the whole hash to tell which cluster an RPC serves.
 */
export const DEVNET_GENESIS_HASH = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG";

/** Rent-exempt accounts report u64::MAX as their rent epoch, as a real node does. */
const RENT_EPOCH_EXEMPT = 18_446_744_073_709_551_615n;
const SLOTS_PER_EPOCH = 432_000n;

export interface SolanaRpcServer {
  url: string;
  /** How many times each method was called: tests read which methods a client really uses. */
  calls: Map<string, number>;
  /** Methods asked for that this server does not implement (each is also logged to stderr). */
  unknownMethods: string[];
  /** Methods a test makes fail: each call answers a JSON-RPC internal error, as a node in trouble does. */
  failing: Set<string>;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** A JSON-RPC error the handler answers with (code and message as Solana's RPC uses them). */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

type Params = unknown[];
type Handler = (params: Params) => unknown;

const base58 = { encode: getBase58Encoder(), decode: getBase58Decoder() };
const base64 = { encode: getBase64Encoder(), decode: getBase64Decoder() };

/** A Solana JSON-RPC 2.0 server on 127.0.0.1 over a {@link LocalSvm}; the methods x402 peers and the wallet use. */
export async function startSolanaRpc(chain: LocalSvm): Promise<SolanaRpcServer> {
  const calls = new Map<string, number>();
  const unknownMethods: string[] = [];
  const failing = new Set<string>();
  const handlers = rpcHandlers(chain);

  const answer = (request: JsonRpcRequest): Record<string, unknown> => {
    const id = request.id ?? null;
    const method = typeof request.method === "string" ? request.method : "";
    calls.set(method, (calls.get(method) ?? 0) + 1);
    if (failing.has(method)) return { jsonrpc: "2.0", id, error: { code: -32603, message: `Internal error: ${method} made to fail by the test` } };
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) {
      unknownMethods.push(method);
      console.error(`[solana rig] RPC method not implemented: ${method}`);
      return { jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } };
    }
    try {
      const params = Array.isArray(request.params) ? request.params : [];
      return { jsonrpc: "2.0", id, result: handler(params) };
    } catch (err) {
      if (err instanceof RpcError) {
        return { jsonrpc: "2.0", id, error: { code: err.code, message: err.message, data: err.data } };
      }
      return { jsonrpc: "2.0", id, error: { code: -32603, message: `Internal error: ${String(err)}` } };
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return send(res, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
      }
      send(res, Array.isArray(body) ? body.map((r) => answer(r as JsonRpcRequest)) : answer(body as JsonRpcRequest));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    unknownMethods,
    failing,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Solana's RPC sends u64s as bare JSON numbers; @solana/kit parses them back into bigints. */
function send(res: ServerResponse, body: unknown): void {
  const json = JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? `\u0000big:${v}` : v)).replace(
    /"\\u0000big:(\d+)"/g,
    "$1",
  );
  res.writeHead(200, { "content-type": "application/json" }).end(json);
}

function rpcHandlers(chain: LocalSvm): Record<string, Handler> {
  const { svm } = chain;
  const context = () => ({ slot: chain.slot, apiVersion: "2.2.0" });
  const withContext = (value: unknown) => ({ context: context(), value });

  const accountJson = (account: MaybeEncodedAccount, encoding: string) => {
    if (!account.exists) return null;
    let data: unknown;
    if (encoding === "jsonParsed") data = jsonParsedData(svm, account) ?? [base64.decode.decode(account.data), "base64"];
    else if (encoding === "base58") data = [base58.decode.decode(account.data), "base58"];
    else if (encoding === "base64") data = [base64.decode.decode(account.data), "base64"];
    else throw new RpcError(-32602, `Invalid params: encoding ${encoding} is not supported by the test rig`);
    return {
      data,
      executable: account.executable,
      lamports: account.lamports,
      owner: account.programAddress,
      rentEpoch: RENT_EPOCH_EXEMPT,
      space: BigInt(account.data.length),
    };
  };
  // A real node answers getAccountInfo without `encoding` in base58; every client here asks for one.
  const encodingOf = (config: unknown, fallback = "base58") =>
    typeof (config as { encoding?: unknown } | undefined)?.encoding === "string"
      ? (config as { encoding: string }).encoding
      : fallback;

  const wireOf = (params: Params): Uint8Array => {
    const [encoded, config] = params as [unknown, { encoding?: string } | undefined];
    if (typeof encoded !== "string") throw new RpcError(-32602, "Invalid params: transaction must be a string");
    // sendTransaction and simulateTransaction default to base58, as on a real node.
    return Uint8Array.from(
      config?.encoding === "base64" ? base64.encode.encode(encoded) : base58.encode.encode(encoded),
    );
  };

  // LiteSVM lists program accounts without kit's `exists` flag (it is on a newer kit).
  const programAccounts = (program: Address): Extract<MaybeEncodedAccount, { exists: true }>[] =>
    svm
      .getProgramAccounts(program)
      .map((account) => ({ ...account, data: Uint8Array.from(account.data), exists: true as const }));

  const tokenAccountsByOwner = (owner: Address, filter: { mint?: string; programId?: string }) =>
    TOKEN_PROGRAMS.filter((program) => !filter.programId || filter.programId === program)
      .flatMap(programAccounts)
      .filter((account) => {
        const token = readTokenAccount(account);
        return token && token.owner === owner && (!filter.mint || token.mint === filter.mint);
      });

  return {
    getHealth: () => "ok",
    getVersion: () => ({ "solana-core": "2.2.0", "feature-set": 0 }),
    getGenesisHash: () => DEVNET_GENESIS_HASH,
    getSlot: () => chain.slot,
    getBlockHeight: () => chain.blockHeight,
    getEpochInfo: () => ({
      absoluteSlot: chain.slot,
      blockHeight: chain.blockHeight,
      epoch: chain.slot / SLOTS_PER_EPOCH,
      slotIndex: chain.slot % SLOTS_PER_EPOCH,
      slotsInEpoch: SLOTS_PER_EPOCH,
      transactionCount: null,
    }),
    getLatestBlockhash: () => withContext(chain.latestBlockhash()),
    isBlockhashValid: ([hash]) => withContext(typeof hash === "string" && chain.isBlockhashValid(hash)),
    getMinimumBalanceForRentExemption: ([size]) => svm.minimumBalanceForRentExemption(BigInt(Number(size ?? 0))),
    getFeeForMessage: ([message]) => {
      if (typeof message !== "string") throw new RpcError(-32602, "Invalid params: message must be base64");
      return withContext(feeForMessage(base64.encode.encode(message)));
    },
    getRecentPrioritizationFees: () => [],
    getBalance: ([addr]) => withContext(chain.lamportsOf(addressParam(addr))),
    getAccountInfo: ([addr, config]) => withContext(accountJson(svm.getAccount(addressParam(addr)), encodingOf(config))),
    getMultipleAccounts: ([addrs, config]) => {
      if (!Array.isArray(addrs)) throw new RpcError(-32602, "Invalid params: expected an array of addresses");
      return withContext(addrs.map((a) => accountJson(svm.getAccount(addressParam(a)), encodingOf(config))));
    },
    getProgramAccounts: ([program, config]) => {
      const cfg = (config ?? {}) as { encoding?: string; filters?: unknown[]; withContext?: boolean };
      const accounts = programAccounts(addressParam(program))
        .filter((account) => (cfg.filters ?? []).every((f) => matchesFilter(account.data, f)))
        .map((account) => ({ pubkey: account.address, account: accountJson(account, encodingOf(cfg, "base64")) }));
      return cfg.withContext ? withContext(accounts) : accounts;
    },
    getTokenAccountBalance: ([addr]) => {
      const token = readTokenAccount(svm.getAccount(addressParam(addr)));
      if (!token) throw new RpcError(-32602, "Invalid param: not a Token account");
      const mint = readMint(svm.getAccount(token.mint))!;
      return withContext(uiTokenAmount(token.amount, mint.decimals));
    },
    getTokenSupply: ([addr]) => {
      const mint = readMint(svm.getAccount(addressParam(addr)));
      if (!mint) throw new RpcError(-32602, "Invalid param: not a Token mint");
      return withContext(uiTokenAmount(mint.supply, mint.decimals));
    },
    getTokenAccountsByOwner: ([owner, filter, config]) => {
      const f = (filter ?? {}) as { mint?: string; programId?: string };
      if (!f.mint && !f.programId) throw new RpcError(-32602, "Invalid params: a mint or programId filter is required");
      const accounts = tokenAccountsByOwner(addressParam(owner), f).map((account) => ({
        pubkey: account.address,
        account: accountJson(account, encodingOf(config, "base64")),
      }));
      return withContext(accounts);
    },
    requestAirdrop: ([addr, amount]) => {
      const result = svm.airdrop(addressParam(addr), lamports(BigInt(Number(amount))));
      if (!result || !("signature" in result)) throw new RpcError(-32603, "airdrop failed");
      return base58.decode.decode(result.signature());
    },
    simulateTransaction: (params) => {
      const config = (params[1] ?? {}) as {
        sigVerify?: boolean;
        replaceRecentBlockhash?: boolean;
        innerInstructions?: boolean;
      };
      if (config.sigVerify && config.replaceRecentBlockhash) {
        throw new RpcError(-32602, "Invalid params: sigVerify may not be used with replaceRecentBlockhash");
      }
      const result = chain.simulate(wireOf(params), {
        sigVerify: config.sigVerify ?? false,
        replaceRecentBlockhash: config.replaceRecentBlockhash ?? false,
      });
      return withContext({
        err: result.err,
        logs: result.logs,
        accounts: null,
        unitsConsumed: result.unitsConsumed,
        returnData: null,
        innerInstructions: config.innerInstructions ? result.innerInstructions : null,
        replacementBlockhash: config.replaceRecentBlockhash ? chain.latestBlockhash() : null,
      });
    },
    sendTransaction: (params) => {
      const wire = wireOf(params);
      const config = (params[1] ?? {}) as { skipPreflight?: boolean };
      if (!config.skipPreflight) {
        const preflight = chain.simulate(wire, { sigVerify: true, replaceRecentBlockhash: false });
        if (preflight.err !== null) {
          throw new RpcError(-32002, `Transaction simulation failed: ${JSON.stringify(preflight.err)}`, {
            err: preflight.err,
            logs: preflight.logs,
            unitsConsumed: preflight.unitsConsumed,
          });
        }
      }
      try {
        return chain.send(wire).signature;
      } catch (err) {
        if (err instanceof RejectedTransaction) {
          const message = `Transaction simulation failed: ${JSON.stringify(err.reason)}`;
          throw new RpcError(-32002, message, { err: err.reason, logs: [] });
        }
        throw err;
      }
    },
    getSignatureStatuses: ([signatures]) => {
      if (!Array.isArray(signatures)) throw new RpcError(-32602, "Invalid params: expected an array of signatures");
      return withContext(
        signatures.map((sig) => {
          const record = typeof sig === "string" ? chain.transaction(sig) : undefined;
          if (!record) return null;
          // Each landed transaction closes its block at once, so it is as final as it gets here.
          return {
            slot: record.slot,
            confirmations: null,
            err: record.err,
            status: record.err === null ? { Ok: null } : { Err: record.err },
            confirmationStatus: "finalized",
          };
        }),
      );
    },
    getSignaturesForAddress: ([account, config]) => {
      const cfg = (config ?? {}) as { before?: string; until?: string; limit?: number };
      let records = chain.transactionsLoading(addressParam(account));
      if (cfg.before !== undefined) {
        const at = records.findIndex((r) => r.signature === cfg.before);
        records = at === -1 ? [] : records.slice(at + 1);
      }
      if (cfg.until !== undefined) {
        const at = records.findIndex((r) => r.signature === cfg.until);
        if (at !== -1) records = records.slice(0, at);
      }
      return records.slice(0, Math.min(Number(cfg.limit ?? 1000), 1000)).map((record) => ({
        signature: record.signature,
        slot: record.slot,
        err: record.err,
        memo: null,
        blockTime: record.blockTime,
        confirmationStatus: "finalized",
      }));
    },
    getTransaction: ([sig, config]) => {
      const cfg = (config ?? {}) as { encoding?: string; maxSupportedTransactionVersion?: number };
      const record = typeof sig === "string" ? chain.transaction(sig) : undefined;
      if (!record) return null;
      const version = transactionToRpc(record, "json").version;
      if (version === 0 && cfg.maxSupportedTransactionVersion === undefined) {
        throw new RpcError(
          -32015,
          "Transaction version (0) is not supported by the requesting client. Please try the request again " +
            'with the following configuration parameter: "maxSupportedTransactionVersion": 0',
        );
      }
      const encoding = (cfg.encoding ?? "json") as TransactionEncoding;
      if (!["json", "jsonParsed", "base64", "base58"].includes(encoding)) {
        throw new RpcError(-32602, `Invalid params: encoding ${encoding} is not supported by the test rig`);
      }
      return transactionToRpc(record, encoding);
    },
  };
}

const TOKEN_PROGRAMS = [
  address("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"),
  address("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"),
] as const;

function addressParam(value: unknown): Address {
  try {
    return address(String(value));
  } catch {
    throw new RpcError(-32602, `Invalid param: Invalid`);
  }
}

/** getProgramAccounts' dataSize and memcmp (base58 or base64 bytes) filters. */
function matchesFilter(data: ReadonlyUint8Array, filter: unknown): boolean {
  const f = filter as { dataSize?: number; memcmp?: { offset: number; bytes: string; encoding?: string } };
  if (f.dataSize !== undefined) return data.length === Number(f.dataSize);
  if (f.memcmp) {
    const bytes =
      f.memcmp.encoding === "base64" ? base64.encode.encode(f.memcmp.bytes) : base58.encode.encode(f.memcmp.bytes);
    const offset = Number(f.memcmp.offset);
    return bytes.every((b, i) => data[offset + i] === b);
  }
  throw new RpcError(-32602, "Invalid params: unsupported filter");
}
