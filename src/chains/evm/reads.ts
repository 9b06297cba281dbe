import { getAddress } from "viem/utils";
import type { ChainReads, ExpectedSettlement, Verification } from "../types.js";
import { readAllowance } from "./permit2/readAllowance.js";
import { readEip2612 } from "./permit2/readEip2612.js";
import { UnlimitedAllowances } from "./permit2/unlimitedAllowances.js";
import { PublicClients } from "./publicClients.js";
import { readTokenBalance } from "./readBalance.js";
import { evmOutgoingTransfers } from "./reconcile/outgoingTransfers.js";
import { reconcileEvmPayment } from "./reconcile/reconcileEvmPayment.js";
import { TokenDecimals } from "./readDecimals.js";
import { verifySettlementOnChain, type SettlementAuthorization } from "./verifySettlement.js";

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

/** The EVM family's chain reads: one viem client per network, made on the first read. */
export function evmReads(rpc: Readonly<Record<string, string>>, timeoutMs: number): ChainReads {
  const clients = new PublicClients({ ...rpc }, timeoutMs);
  const decimals = new TokenDecimals(clients);
  const allowances = new UnlimitedAllowances();
  return {
    readBalance: (asset, owner) => readTokenBalance(clients, asset, owner),
    readAllowance: (asset, owner, spender) =>
      allowances.read(asset.network, asset.address, owner, getAddress(spender), () => readAllowance(clients.get(asset.network), asset.address, owner, getAddress(spender))),
    readEip2612: (asset, owner) => readEip2612(clients.get(asset.network), asset.address, owner),
    readDecimals: (asset) => decimals.read(asset),
    verifySettlement: (expected, waitMs) => verifyEvmSettlement(clients, expected, waitMs),
    reconcilePayment: (payment) => reconcileEvmPayment(clients, payment, timeoutMs),
    outgoingTransfers: (asset, owner, sinceMs) => evmOutgoingTransfers(clients, asset, owner, sinceMs),
    servedNetwork: async (network) => `eip155:${await clients.get(network).getChainId()}`,
    redactedRpcUrl: (network) => clients.redactedRpcUrl(network),
    close: () => clients.close(),
  };
}

async function verifyEvmSettlement(clients: PublicClients, expected: ExpectedSettlement, timeoutMs: number): Promise<Verification> {
  const { transaction } = expected;
  if (!TX_HASH.test(transaction)) return { status: "mismatch", detail: `${JSON.stringify(transaction)} is not an EVM transaction hash` };
  return verifySettlementOnChain(clients, { ...expected, transaction: transaction as `0x${string}`, authorization: settlementId(expected) }, timeoutMs);
}

/** The authorization kinds the chain can vouch for (EIP-3009, Permit2); another kind proves nothing here. */
function settlementId({ authorization }: ExpectedSettlement): SettlementAuthorization | undefined {
  if (authorization?.kind === "eip3009" || authorization?.kind === "permit2") return { kind: authorization.kind, nonce: authorization.nonce };
  return undefined;
}
