import { address, createSolanaRpcFromTransport, type Rpc, type SolanaRpcApi } from "@solana/kit";
import { findAssociatedTokenPda, getMintDecoder, TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";
import { redactRpcUrl } from "../redactRpcUrl.js";
import type { AssetInfo, ChainReads, ExpectedSettlement, Verification } from "../types.js";
import { findSolanaNetwork } from "./networks.js";
import { SolanaRpcTransports } from "./rpcTransport.js";
import { checkLandedTransaction, readLandedTransaction } from "./landedTransaction.js";
import { solanaOutgoingTransfers } from "./outgoingTransfers.js";
import { reconcileSolanaPayment } from "./reconcilePayment.js";

const POLL_MS = 500;

/** The Solana family's chain reads through @solana/kit's RPC client, one per cluster, each call bounded by `timeoutMs` (in the transport). */
export function solanaRpcReads(rpcUrls: Readonly<Record<string, string>>, timeoutMs: number): ChainReads {
  const clients = new Map<string, Rpc<SolanaRpcApi>>();
  const transports = new SolanaRpcTransports(timeoutMs);
  const urlOf = (network: string): string => {
    const url = rpcUrls[network] ?? findSolanaNetwork(network)?.defaultRpc;
    if (!url) throw new Error(`network ${network} is not a Solana cluster this wallet knows`);
    return url;
  };
  const rpc = (network: string): Rpc<SolanaRpcApi> => {
    let client = clients.get(network);
    if (!client) clients.set(network, (client = createSolanaRpcFromTransport(transports.transport(urlOf(network)))));
    return client;
  };
  const decimals = new Map<string, Promise<number>>();

  const accountOwner = async (network: string, account: string): Promise<string | null> => {
    const { value } = await rpc(network).getAccountInfo(address(account), { encoding: "base64" }).send();
    return value ? value.owner : null;
  };

  return {
    async readBalance(asset: AssetInfo, owner: string) {
      const [ata] = await findAssociatedTokenPda({ mint: address(asset.address), owner: address(owner), tokenProgram: TOKEN_PROGRAM_ADDRESS });
      // No token account yet is a balance of 0, not an error: it is made by the first transfer in.
      if ((await accountOwner(asset.network, ata)) === null) return 0n;
      const { value } = await rpc(asset.network).getTokenAccountBalance(ata).send();
      return BigInt(value.amount);
    },
    readAllowance: () => Promise.reject(new Error("Solana tokens have no ERC-20 allowance")),
    readEip2612: () => Promise.reject(new Error("Solana tokens have no EIP-2612 permit")),
    readDecimals(asset) {
      const key = `${asset.network} ${asset.address}`;
      let read = decimals.get(key);
      if (!read) {
        read = rpc(asset.network)
          .getAccountInfo(address(asset.address), { encoding: "base64" })
          .send()
          .then(({ value }) => {
            if (!value) throw new Error(`no mint account at ${asset.address}`);
            return getMintDecoder().decode(Buffer.from(value.data[0], "base64")).decimals;
          });
        // A failed read is tried again next time rather than remembered.
        read.catch(() => decimals.delete(key));
        decimals.set(key, read);
      }
      return read;
    },
    readLatestBlockhash: async (network) => {
      const { value } = await rpc(network).getLatestBlockhash({ commitment: "confirmed" }).send();
      return { blockhash: value.blockhash, lastValidBlockHeight: value.lastValidBlockHeight };
    },
    readBlockHeight: async (network) => await rpc(network).getBlockHeight({ commitment: "confirmed" }).send(),
    readAccountOwner: accountOwner,
    verifySettlement: (expected, waitMs) => verifySolanaSettlement(rpc(expected.network), expected, waitMs),
    reconcilePayment: (payment) => reconcileSolanaPayment(rpc(payment.network), payment),
    outgoingTransfers: (asset, owner, sinceMs) => solanaOutgoingTransfers(rpc(asset.network), asset, owner, sinceMs),
    servedNetwork: async (network) => `solana:${(await rpc(network).getGenesisHash().send()).slice(0, 32)}`,
    redactedRpcUrl: (network) => (rpcUrls[network] ?? findSolanaNetwork(network)?.defaultRpc) && redactRpcUrl(urlOf(network)),
    close: () => transports.close(),
  };
}

/** Waits up to `waitMs` for the transaction, then compares its token balance changes with what was signed. */
async function verifySolanaSettlement(
  rpc: Rpc<SolanaRpcApi>,
  expected: ExpectedSettlement,
  waitMs: number,
): Promise<Verification> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const tx = await readLandedTransaction(rpc, expected.transaction);
    if (tx) return checkLandedTransaction(expected, tx);
    if (Date.now() + POLL_MS > deadline) return { status: "pending", detail: `transaction ${expected.transaction} is not confirmed yet` };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
