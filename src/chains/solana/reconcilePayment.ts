import type { Rpc, SolanaRpcApi } from "@solana/kit";
import type { PaymentToReconcile, ReconcileFinding } from "../types.js";
import { isSolanaSignature } from "./base58.js";
import { checkLandedTransaction, readLandedTransaction, type LandedTransaction } from "./landedTransaction.js";
import { MAX_LISTED, walkTokenAccountHistory } from "./tokenAccountHistory.js";

/**
 * How far before its signing (by the signing server's clock) the payment's transaction is
 * looked for: room for that clock to run ahead of the chain's.
 */
const CLOCK_MARGIN_SECONDS = 3_600n;

/**
 * A Solana exact payment. The ledger holds the wallet's own signature, which is not the
 * transaction's id (the facilitator's fee-payer signature comes first and names it), so
 * getSignatureStatuses cannot find it: the transactions loading the wallet's token account
 * since the signing are listed and the one carrying our signature is it, checked as a
 * settlement report is. Absent with the finalized block height past the transaction's last
 * valid one: expired, as no block can take it any more. The height is read before the search,
 * so every block that could hold the transaction is already among those searched.
 */
export async function reconcileSolanaPayment(rpc: Rpc<SolanaRpcApi>, payment: PaymentToReconcile): Promise<ReconcileFinding> {
  const { nonce, lastValidBlockHeight } = payment;
  if (nonce === undefined || !isSolanaSignature(nonce)) {
    return { status: "open", detail: `its authorization id ${JSON.stringify(nonce ?? null)} is not a Solana transaction signature` };
  }
  if (lastValidBlockHeight === undefined) return { status: "open", detail: "no last valid block height is on record for its transaction" };
  const height = await rpc.getBlockHeight({ commitment: "finalized" }).send();
  const found = await findSignedTransaction(rpc, payment, nonce);
  if (found === "search incomplete") {
    return { status: "open", detail: `more than ${MAX_LISTED} transactions of the wallet's token account since the payment were listed; its transaction was not among them` };
  }
  if (found) {
    const verification = checkLandedTransaction(
      { network: payment.network, transaction: found.id, asset: payment.asset, from: payment.payer, to: payment.payTo, amount: payment.amountAtomic, authorization: { kind: "solana-signature", nonce } },
      found.tx,
    );
    if (verification.status === "verified") return { status: "settled", transaction: found.id, amountAtomic: payment.amountAtomic };
    if (verification.status === "mismatch") return { status: "mismatch", transaction: found.id, detail: verification.detail };
    return { status: "open", detail: verification.detail };
  }
  if (height > lastValidBlockHeight) {
    return {
      status: "expired",
      reason: `its transaction (signature ${nonce}) is not on-chain and can never land: the finalized block height ${height} is past its last valid block height ${lastValidBlockHeight}`,
    };
  }
  return { status: "open", detail: `its transaction is not on-chain yet and can still land until block height ${lastValidBlockHeight} (now ${height})` };
}

/**
 * The landed transaction carrying signature `ours`, among those loading the payer's token
 * account down to the payment's signing time; null when the whole window was listed without it.
 */
async function findSignedTransaction(rpc: Rpc<SolanaRpcApi>, payment: PaymentToReconcile, ours: string): Promise<{ id: string; tx: LandedTransaction } | null | "search incomplete"> {
  const notBefore = BigInt(Math.floor(payment.signedAtMs / 1000)) - CLOCK_MARGIN_SECONDS;
  let found: { id: string; tx: LandedTransaction } | null = null;
  const walk = await walkTokenAccountHistory(rpc, payment.asset, payment.payer, notBefore, async ({ id }) => {
    const tx = await readLandedTransaction(rpc, id);
    // Listed but not returned: the node cannot show it, so its absence proves nothing.
    if (!tx) throw new Error(`the RPC lists transaction ${id} but does not return it`);
    if (tx.transaction.signatures.includes(ours)) found = { id, tx };
    return found !== null;
  });
  return walk === "incomplete" ? "search incomplete" : found;
}
