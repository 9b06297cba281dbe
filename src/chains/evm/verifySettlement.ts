import type { Address, Hex, Log } from "viem";
import { getAddress, parseEventLogs } from "viem/utils";
import type { Verification } from "../types.js";
import { decodeProxySettle } from "./permit2/decodeProxySettle.js";
import type { PublicClients } from "./publicClients.js";
import { authorizationUsedEvent, transferEvent } from "./tokenEvents.js";

const transferEventAbi = [transferEvent] as const;
const authorizationUsedEventAbi = [authorizationUsedEvent] as const;

/**
 * What ties a transaction to one signed authorization, by the scheme that signed it. A
 * Transfer of the same terms is not enough: an earlier payment of the same price moved the
 * same amount between the same two addresses.
 */
export type SettlementAuthorization =
  | { kind: "eip3009"; nonce: string }
  /** A Permit2 signature transfer through one of x402's proxies (exact or upto): its nonce, as a decimal uint256. */
  | { kind: "permit2"; nonce: string };

export interface ExpectedTransfer {
  network: string;
  transaction: Hex;
  asset: string;
  from: string;
  to: string;
  amount: bigint;
  /** Without it the transfer cannot be told apart from another payment's: never `verified`. */
  authorization: SettlementAuthorization | undefined;
}

/**
 * Reads the transaction the server named and checks it carries a Transfer of exactly the
 * signed amount, on the signed asset, from our payer to the payee, and the asset's proof
 * that this payment's own authorization was used in it. A server can claim any hash; only
 * the chain can vouch for it. Waits at most `timeoutMs` for the receipt.
 */
export async function verifySettlementOnChain(
  clients: PublicClients,
  expected: ExpectedTransfer,
  timeoutMs: number,
): Promise<Verification> {
  // The Permit2 proof needs the transaction's calldata as well: read beside the receipt, not after it.
  const transaction = expected.authorization?.kind === "permit2" ? settledRead(clients.get(expected.network).getTransaction({ hash: expected.transaction })) : undefined;
  let receipt;
  try {
    receipt = await receiptWithin(clients, expected, timeoutMs);
  } catch (error) {
    const message = ((error as { shortMessage?: string }).shortMessage ?? (error as Error).message).split("\n")[0];
    if (await isUnknownTransaction(clients, expected)) {
      return { status: "unknown", detail: `the server reported transaction ${expected.transaction}, which the chain does not know` };
    }
    return { status: "pending", detail: `the chain did not confirm ${expected.transaction} within ${timeoutMs} ms (${message})` };
  }
  if (receipt.status !== "success") {
    return { status: "mismatch", detail: `transaction ${expected.transaction} reverted on-chain` };
  }
  const asset = getAddress(expected.asset);
  const from = getAddress(expected.from);
  const to = getAddress(expected.to);
  const transfers = parseEventLogs({ abi: transferEventAbi, eventName: "Transfer", logs: receipt.logs });
  const match = transfers.find(
    (t) => getAddress(t.address) === asset && t.args.from === from && t.args.to === to && t.args.value === expected.amount,
  );
  if (!match) {
    const seen = transfers
      .map((t) => `${t.args.value} of ${getAddress(t.address)} from ${t.args.from} to ${t.args.to}`)
      .join("; ");
    return {
      status: "mismatch",
      detail: `transaction ${expected.transaction} does not transfer ${expected.amount} of ${asset} from ${from} to ${to}; it shows ${seen || "no token transfer"}`,
    };
  }
  if (!expected.authorization) {
    return {
      status: "unattributed",
      detail: `transaction ${expected.transaction} transfers what was signed, but this payment has no authorization id to tell it from another payment of the same terms`,
    };
  }
  if (expected.authorization.kind === "permit2") {
    // Read before the receipt was there, the transaction may have been pending: then it is read again.
    let read = await transaction!;
    if (!read.ok) read = await settledRead(clients.get(expected.network).getTransaction({ hash: expected.transaction }));
    if (!read.ok) {
      const message = ((read.error as { shortMessage?: string }).shortMessage ?? (read.error as Error).message).split("\n")[0];
      return { status: "pending", detail: `could not read transaction ${expected.transaction} to find this payment's Permit2 nonce (${message})` };
    }
    return permit2NonceUsed(read.value, expected, asset, from, to, expected.authorization.nonce);
  }
  return eip3009AuthorizationUsed(receipt.logs, expected.transaction, asset, from, expected.authorization.nonce);
}

/**
 * Permit2 emits no event per signature transfer, and the proxies' Settled() names nothing,
 * so the proof is the call itself: a successful transaction straight to an x402 proxy whose
 * settle call carries our owner and this payment's nonce. Permit2 checks the owner's
 * signature over that nonce and spends it, so the call could only succeed by using this
 * payment's authorization; another transaction (an earlier payment of the same price) has
 * another nonce.
 */
function permit2NonceUsed(
  tx: { to: Address | null; input: Hex },
  expected: ExpectedTransfer,
  asset: Address,
  payer: Address,
  payTo: Address,
  nonce: string,
): Verification {
  const settled = decodeProxySettle(tx);
  if (typeof settled === "string") {
    return { status: "unattributed", detail: `transaction ${expected.transaction} moves what was signed, but ${settled}, so nothing ties it to this payment's Permit2 nonce ${nonce}` };
  }
  if (settled.owner !== payer || settled.nonce !== BigInt(nonce)) {
    return {
      status: "mismatch",
      detail: `transaction ${expected.transaction} settles Permit2 nonce ${settled.nonce} of ${settled.owner}, not this payment's (nonce ${nonce} of ${payer})`,
    };
  }
  if (settled.token !== asset || settled.to !== payTo || settled.amount !== expected.amount) {
    return {
      status: "mismatch",
      detail: `transaction ${expected.transaction} settles this payment's nonce for ${settled.amount} of ${settled.token} to ${settled.to}, not ${expected.amount} of ${asset} to ${payTo}`,
    };
  }
  return { status: "verified" };
}

/**
 * EIP-3009 tokens emit AuthorizationUsed(authorizer, nonce) in the transaction that consumes
 * the authorization. Only the asset's own event counts: any contract can emit one.
 */
function eip3009AuthorizationUsed(logs: Log[], transaction: Hex, asset: Address, payer: Address, nonce: string): Verification {
  const used = parseEventLogs({ abi: authorizationUsedEventAbi, eventName: "AuthorizationUsed", logs }).filter(
    (u) => getAddress(u.address) === asset && u.args.authorizer === payer,
  );
  if (used.some((u) => u.args.nonce.toLowerCase() === nonce.toLowerCase())) return { status: "verified" };
  if (used.length > 0) {
    const others = used.map((u) => u.args.nonce).join(", ");
    return {
      status: "mismatch",
      detail: `transaction ${transaction} settles another authorization of ${payer} (nonce ${others}), not this payment's (nonce ${nonce})`,
    };
  }
  return {
    status: "mismatch",
    detail: `transaction ${transaction} does not use this payment's authorization (nonce ${nonce} of ${payer} on ${asset}); it uses none of ${payer}'s authorizations on that token`,
  };
}

/** A read whose failure is a value, so that starting it early leaves no rejection unhandled. */
function settledRead<T>(read: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return read.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** A hash neither mined nor pending is a claim the chain cannot back; an RPC failure proves nothing. */
async function isUnknownTransaction(clients: PublicClients, expected: ExpectedTransfer): Promise<boolean> {
  try {
    await clients.get(expected.network).getTransaction({ hash: expected.transaction });
    return false;
  } catch (error) {
    return (error as Error).name === "TransactionNotFoundError";
  }
}

/** Servers answer after settling, so the receipt is usually there already: ask once before polling. */
async function receiptWithin(clients: PublicClients, expected: ExpectedTransfer, timeoutMs: number) {
  const client = clients.get(expected.network);
  const now = await client.getTransactionReceipt({ hash: expected.transaction }).catch(() => undefined);
  return (
    now ??
    client.waitForTransactionReceipt({
      hash: expected.transaction,
      timeout: timeoutMs,
      pollingInterval: Math.max(50, Math.min(500, Math.floor(timeoutMs / 10))),
      retryCount: 0,
    })
  );
}
