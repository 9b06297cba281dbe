import type { Hex } from "viem";
import { getAddress, parseEventLogs } from "viem/utils";
import type { PublicClients } from "./publicClients.js";

/** The ERC-20 Transfer event (viem's erc20Abi lives in its root entry point, which start-up does not load). */
const transferEventAbi = [
  {
    type: "event",
    name: "Transfer",
    inputs: [
      { indexed: true, name: "from", type: "address" },
      { indexed: true, name: "to", type: "address" },
      { indexed: false, name: "value", type: "uint256" },
    ],
  },
] as const;

export interface ExpectedTransfer {
  network: string;
  transaction: Hex;
  asset: string;
  from: string;
  to: string;
  amount: bigint;
}

export type Verification =
  | { status: "verified" }
  | { status: "mismatch"; detail: string }
  | { status: "pending"; detail: string }
  | { status: "unknown"; detail: string };

/**
 * Reads the transaction the server named and checks it carries a Transfer of exactly the
 * signed amount, on the signed asset, from our payer to the payee. A server can claim any
 * hash; only the chain can vouch for it. Waits at most `timeoutMs` for the receipt.
 */
export async function verifySettlementOnChain(
  clients: PublicClients,
  expected: ExpectedTransfer,
  timeoutMs: number,
): Promise<Verification> {
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
  if (match) return { status: "verified" };
  const seen = transfers
    .map((t) => `${t.args.value} of ${getAddress(t.address)} from ${t.args.from} to ${t.args.to}`)
    .join("; ");
  return {
    status: "mismatch",
    detail: `transaction ${expected.transaction} does not transfer ${expected.amount} of ${asset} from ${from} to ${to}; it shows ${seen || "no token transfer"}`,
  };
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
