import {
  address,
  appendTransactionMessageInstructions,
  blockhash as toBlockhash,
  compileTransaction,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  pipe,
  setTransactionMessageFeePayer,
  setTransactionMessageLifetimeUsingBlockhash,
  type Instruction,
  type SignatureBytes,
  type TransactionPartialSigner,
} from "@solana/kit";
import { getSetComputeUnitLimitInstruction, getSetComputeUnitPriceInstruction } from "@solana-program/compute-budget";
import { findAssociatedTokenPda, getTransferCheckedInstruction, TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";
import { CodedError, ErrorCode } from "../../../../errors.js";
import type { ChainReads } from "../../../types.js";
import { encodeBase58 } from "../../base58.js";
import type { SolanaSigner } from "../../signer.js";
import { COMPUTE_UNIT_LIMIT, COMPUTE_UNIT_PRICE_MICROLAMPORTS } from "./bounds.js";

// The SPL Memo program. @solana-program/memo is not among our dependencies, and its
// instruction is only the program id and the memo's UTF-8 bytes, with no accounts.
const MEMO_PROGRAM_ADDRESS = address("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

export interface TransferTerms {
  network: string;
  mint: string;
  decimals: number;
  payTo: string;
  feePayer: string;
  amount: bigint;
  memo: Uint8Array;
}

export interface SignedTransfer {
  /** Base58: the transaction's id once it lands. */
  signature: string;
  /** The wire transaction, the fee payer's signature slot left empty for the facilitator. */
  transactionBase64: string;
}

/** A payment whose chain facts are read: signing it needs no more I/O, so its signature is known before the ledger write. */
export interface TransferPlan {
  lastValidBlockHeight: bigint;
  sign(signer: SolanaSigner): SignedTransfer;
}

/**
 * Reads what the transaction needs (the mint's program, payTo's token account, a recent
 * blockhash) and refuses what cannot be paid: a mint outside the SPL Token program, a payee
 * without a token account for it (the transfer would fail; creating one is not ours to sign).
 */
export async function planTransfer(reads: ChainReads, payer: string, terms: TransferTerms): Promise<TransferPlan> {
  if (!reads.readAccountOwner || !reads.readLatestBlockhash) throw new Error(`no Solana reads for ${terms.network}`);
  const mint = address(terms.mint);
  const [[source], [destination]] = await Promise.all([
    findAssociatedTokenPda({ mint, owner: address(payer), tokenProgram: TOKEN_PROGRAM_ADDRESS }),
    findAssociatedTokenPda({ mint, owner: address(terms.payTo), tokenProgram: TOKEN_PROGRAM_ADDRESS }),
  ]);
  const [mintProgram, destinationProgram, latest] = await Promise.all([
    reads.readAccountOwner(terms.network, terms.mint),
    reads.readAccountOwner(terms.network, destination),
    reads.readLatestBlockhash(terms.network),
  ]);
  if (mintProgram !== TOKEN_PROGRAM_ADDRESS) {
    throw new CodedError(
      ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION,
      `${terms.mint} on ${terms.network} is ${mintProgram === null ? "not an account" : `owned by ${mintProgram}`}, not an SPL Token mint; this wallet pays SPL Token mints only. Nothing was paid.`,
    );
  }
  if (destinationProgram !== TOKEN_PROGRAM_ADDRESS) {
    throw new CodedError(
      ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION,
      `payTo ${terms.payTo} has no token account for ${terms.mint} on ${terms.network}, so the service cannot receive this payment; the wallet does not create one for it. Nothing was paid.`,
    );
  }
  return {
    lastValidBlockHeight: latest.lastValidBlockHeight,
    sign(signer) {
      const authority = signerAccount(signer.address);
      const message = pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayer(address(terms.feePayer), m),
        (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash: toBlockhash(latest.blockhash), lastValidBlockHeight: latest.lastValidBlockHeight }, m),
        (m) =>
          appendTransactionMessageInstructions(
            [
              getSetComputeUnitLimitInstruction({ units: COMPUTE_UNIT_LIMIT }),
              getSetComputeUnitPriceInstruction({ microLamports: COMPUTE_UNIT_PRICE_MICROLAMPORTS }),
              getTransferCheckedInstruction({ source, mint, destination, authority, amount: terms.amount, decimals: terms.decimals }),
              { programAddress: MEMO_PROGRAM_ADDRESS, data: terms.memo } satisfies Instruction,
            ],
            m,
          ),
      );
      const compiled = compileTransaction(message);
      const ours = signer.signMessage(Uint8Array.from(compiled.messageBytes)) as SignatureBytes;
      const transaction = { ...compiled, signatures: { ...compiled.signatures, [authority.address]: ours } };
      return { signature: encodeBase58(ours), transactionBase64: getBase64EncodedWireTransaction(transaction) };
    },
  };
}

/**
 * The transfer's authority as kit's instruction builders take a signer: the account is then
 * marked as signing. The signature itself is made by our own key over the compiled message,
 * synchronously, not through this object.
 */
function signerAccount(owner: string): TransactionPartialSigner {
  return {
    address: address(owner),
    signTransactions: () => Promise.reject(new Error("signed over the compiled message instead")),
  };
}
