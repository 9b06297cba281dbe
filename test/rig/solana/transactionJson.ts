import {
  getBase58Decoder,
  getBase64Decoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  type ReadonlyUint8Array,
} from "@solana/kit";
import type { LandedTransaction } from "./chain.js";

const COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111";
/** The cluster's base fee and default compute limits (what LiteSVM charges too). */
const LAMPORTS_PER_SIGNATURE = 5000n;
const DEFAULT_UNITS_PER_INSTRUCTION = 200_000n;
const MAX_COMPUTE_UNITS = 1_400_000n;

const base58 = getBase58Decoder();
const base64 = getBase64Decoder();
const messageDecoder = getCompiledTransactionMessageDecoder();
const txDecoder = getTransactionDecoder();

type CompiledMessage = ReturnType<typeof messageDecoder.decode>;

export type TransactionEncoding = "json" | "jsonParsed" | "base64" | "base58";

/** getTransaction's answer for a landed transaction, in the requested encoding. */
export function transactionToRpc(record: LandedTransaction, encoding: TransactionEncoding): Record<string, unknown> {
  const tx = txDecoder.decode(record.wire);
  const message = messageDecoder.decode(tx.messageBytes);
  let transaction: unknown;
  if (encoding === "base64") transaction = [base64.decode(record.wire), "base64"];
  else if (encoding === "base58") transaction = [base58.decode(record.wire), "base58"];
  else {
    transaction = {
      signatures: Object.values(tx.signatures).map((s) => (s ? base58.decode(s) : "1".repeat(64))),
      message: messageToJson(message, encoding === "jsonParsed"),
    };
  }
  return {
    slot: record.slot,
    blockTime: record.blockTime,
    version: message.version,
    transaction,
    meta: {
      err: record.err,
      status: record.err === null ? { Ok: null } : { Err: record.err },
      fee: record.fee,
      preBalances: record.preBalances,
      postBalances: record.postBalances,
      preTokenBalances: record.preTokenBalances,
      postTokenBalances: record.postTokenBalances,
      innerInstructions: record.innerInstructions,
      logMessages: record.logs,
      rewards: [],
      loadedAddresses: { writable: [], readonly: [] },
      computeUnitsConsumed: record.computeUnitsConsumed,
    },
  };
}

function messageToJson(message: CompiledMessage, parsed: boolean): Record<string, unknown> {
  const { header, staticAccounts } = message;
  const isSigner = (i: number) => i < header.numSignerAccounts;
  const isWritable = (i: number) =>
    isSigner(i)
      ? i < header.numSignerAccounts - header.numReadonlySignerAccounts
      : i < staticAccounts.length - header.numReadonlyNonSignerAccounts;
  // jsonParsed here is the RPC's "partially decoded" form for every program: addresses instead of
  // indices, data left in base58. A real node also decodes known programs' instructions; the
  // wallet verifies with the token balances, which both forms carry.
  const instructions = message.instructions.map((ix) => {
    const accounts = ix.accountIndices ?? [];
    const data = base58.decode(ix.data ?? new Uint8Array());
    return parsed
      ? {
          programId: staticAccounts[ix.programAddressIndex],
          accounts: accounts.map((i) => staticAccounts[i]),
          data,
          stackHeight: null,
        }
      : { programIdIndex: ix.programAddressIndex, accounts, data, stackHeight: null };
  });
  return {
    accountKeys: parsed
      ? staticAccounts.map((pubkey, i) => ({ pubkey, signer: isSigner(i), writable: isWritable(i), source: "transaction" }))
      : staticAccounts,
    header: {
      numRequiredSignatures: header.numSignerAccounts,
      numReadonlySignedAccounts: header.numReadonlySignerAccounts,
      numReadonlyUnsignedAccounts: header.numReadonlyNonSignerAccounts,
    },
    recentBlockhash: message.lifetimeToken,
    instructions,
    ...(message.version === "legacy" ? {} : { addressTableLookups: [] }),
  };
}

/** getFeeForMessage: the signature fee plus the priority fee its compute-budget instructions set. */
export function feeForMessage(messageBytes: ReadonlyUint8Array): bigint {
  const message = messageDecoder.decode(messageBytes);
  let unitLimit: bigint | undefined;
  let microLamportsPerUnit = 0n;
  let otherInstructions = 0n;
  for (const ix of message.instructions) {
    const data = ix.data ?? new Uint8Array();
    if (message.staticAccounts[ix.programAddressIndex] !== COMPUTE_BUDGET_PROGRAM) {
      otherInstructions += 1n;
      continue;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data[0] === 2 && data.length >= 5) unitLimit = BigInt(view.getUint32(1, true));
    if (data[0] === 3 && data.length >= 9) microLamportsPerUnit = view.getBigUint64(1, true);
  }
  const units = unitLimit ?? minBig(otherInstructions * DEFAULT_UNITS_PER_INSTRUCTION, MAX_COMPUTE_UNITS);
  const priority = (units * microLamportsPerUnit + 999_999n) / 1_000_000n;
  return BigInt(message.header.numSignerAccounts) * LAMPORTS_PER_SIGNATURE + priority;
}

const minBig = (a: bigint, b: bigint) => (a < b ? a : b);
