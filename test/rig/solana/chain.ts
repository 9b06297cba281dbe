import {
  getBase58Decoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  type Address,
  type Transaction,
} from "@solana/kit";
import { LiteSVM } from "litesvm";
import * as liteSvmInternal from "litesvm/dist/internal.js";
import {
  FailedTransactionMetadata,
  InstructionErrorBorshIo,
  InstructionErrorCustom,
  TransactionErrorDuplicateInstruction,
  TransactionErrorInstructionError,
  TransactionErrorInsufficientFundsForRent,
  TransactionErrorProgramExecutionTemporarilyRestricted,
  type TransactionMetadata,
} from "litesvm/dist/internal.js";
import { tokenBalancesOf, type TokenBalance } from "./tokenAccounts.js";

/**
 * How many blocks a blockhash stays usable, as on the real cluster (MAX_PROCESSING_AGE): the
 * `lastValidBlockHeight` that getLatestBlockhash reports is the block height it was made at plus this.
 */
export const BLOCKHASH_VALIDITY_BLOCKS = 150n;

export interface BlockhashLifetime {
  blockhash: string;
  lastValidBlockHeight: bigint;
}

/** A transaction error in the JSON shape Solana's RPC uses ("BlockhashNotFound", {InstructionError: [2, {Custom: 1}]}). */
export type RpcTransactionError = string | Record<string, unknown>;

/** What getTransaction and getSignatureStatuses answer from: the rig records it as it executes. */
export interface LandedTransaction {
  signature: string;
  slot: bigint;
  blockTime: bigint;
  /** The whole transaction as sent, signatures and message. */
  wire: Uint8Array;
  err: RpcTransactionError | null;
  fee: bigint;
  accountKeys: Address[];
  preBalances: bigint[];
  postBalances: bigint[];
  preTokenBalances: TokenBalance[];
  postTokenBalances: TokenBalance[];
  logs: string[];
  computeUnitsConsumed: bigint;
  innerInstructions: RpcInnerInstructions[];
}

export interface RpcInnerInstructions {
  index: number;
  instructions: { programIdIndex: number; accounts: number[]; data: string; stackHeight: number }[];
}

export interface SimulationResult {
  err: RpcTransactionError | null;
  logs: string[];
  unitsConsumed: bigint;
  innerInstructions: RpcInnerInstructions[];
}

/** A transaction the cluster would refuse before running it: it never lands and gets no status. */
export class RejectedTransaction extends Error {
  constructor(readonly reason: RpcTransactionError) {
    super(`transaction rejected: ${JSON.stringify(reason)}`);
  }
}

/** Errors raised before execution: a node answers them to sendTransaction and nothing is recorded. */
const NOT_LANDING = new Set([
  "AccountNotFound",
  "AlreadyProcessed",
  "BlockhashNotFound",
  "InsufficientFundsForFee",
  "InvalidAccountForFee",
  "MissingSignatureForFee",
  "SanitizeFailure",
  "SignatureFailure",
  "UnsupportedVersion",
  "AccountLoadedTwice",
  "TooManyAccountLocks",
]);

const txDecoder = getTransactionDecoder();
const messageDecoder = getCompiledTransactionMessageDecoder();
const base58 = getBase58Decoder();

/**
 * A LiteSVM that behaves like a cluster to RPC clients. LiteSVM accepts only its latest blockhash
 * and never moves its clock, while a client signs with a blockhash fetched earlier and other
 * payments land in between; so LiteSVM's own check is off and this class keeps a blockhash window
 * (each hash valid for {@link BLOCKHASH_VALIDITY_BLOCKS} blocks), and each landed transaction
 * closes its block: slot + 1, a new blockhash, the clock at the wall time.
 */
export class LocalSvm {
  readonly svm: LiteSVM;
  private readonly lastValidHeight = new Map<string, bigint>();
  private readonly landed = new Map<string, LandedTransaction>();

  constructor() {
    this.svm = new LiteSVM().withBlockhashCheck(false).withTransactionHistory(100_000n);
    this.stampClock();
    this.rememberLatest();
  }

  get slot(): bigint {
    return this.svm.getClock().slot;
  }

  /** Block height equals the slot here: the rig never skips a slot. */
  get blockHeight(): bigint {
    return this.slot;
  }

  latestBlockhash(): BlockhashLifetime {
    const blockhash = this.svm.latestBlockhash() as string;
    return { blockhash, lastValidBlockHeight: this.lastValidHeight.get(blockhash)! };
  }

  isBlockhashValid(blockhash: string): boolean {
    const last = this.lastValidHeight.get(blockhash);
    return last !== undefined && this.blockHeight <= last;
  }

  /** Closes `blocks` blocks: a test moves past a blockhash's last valid height with it. */
  advance(blocks = 1n): void {
    this.svm.warpToSlot(this.slot + blocks);
    this.svm.expireBlockhash();
    this.stampClock();
    this.rememberLatest();
  }

  /** Executes a wire transaction, records it and closes the block; throws RejectedTransaction as a node would. */
  send(wire: Uint8Array): LandedTransaction {
    const tx = txDecoder.decode(wire);
    const signature = signatureOf(tx);
    const message = messageDecoder.decode(tx.messageBytes);
    if (!this.isBlockhashValid(message.lifetimeToken)) throw new RejectedTransaction("BlockhashNotFound");
    if (this.landed.has(signature)) throw new RejectedTransaction("AlreadyProcessed");

    const accountKeys = message.staticAccounts;
    const preBalances = accountKeys.map((a) => this.lamportsOf(a));
    const preTokenBalances = tokenBalancesOf(this.svm, accountKeys);
    const result = this.svm.sendTransaction(tx as never);
    const meta = result instanceof FailedTransactionMetadata ? result.meta() : result;
    const err = result instanceof FailedTransactionMetadata ? errorToRpc(result.err()) : null;
    if (typeof err === "string" && NOT_LANDING.has(err)) throw new RejectedTransaction(err);

    const record: LandedTransaction = {
      signature,
      slot: this.slot,
      blockTime: this.svm.getClock().unixTimestamp,
      wire: Uint8Array.from(wire),
      err,
      fee: feeOf(meta),
      accountKeys,
      preBalances,
      postBalances: accountKeys.map((a) => this.lamportsOf(a)),
      preTokenBalances,
      postTokenBalances: tokenBalancesOf(this.svm, accountKeys),
      logs: meta.logs(),
      computeUnitsConsumed: meta.computeUnitsConsumed(),
      innerInstructions: innerInstructionsOf(meta),
    };
    this.landed.set(signature, record);
    this.advance();
    return record;
  }

  /** Runs a wire transaction without keeping its effects, as simulateTransaction does. */
  simulate(wire: Uint8Array, opts: { sigVerify: boolean; replaceRecentBlockhash: boolean }): SimulationResult {
    const tx = txDecoder.decode(wire);
    const message = messageDecoder.decode(tx.messageBytes);
    if (!opts.replaceRecentBlockhash && !this.isBlockhashValid(message.lifetimeToken)) {
      return { err: "BlockhashNotFound", logs: [], unitsConsumed: 0n, innerInstructions: [] };
    }
    this.svm.withSigverify(opts.sigVerify);
    try {
      const result = this.svm.simulateTransaction(tx as never);
      const meta = result.meta();
      return {
        err: result instanceof FailedTransactionMetadata ? errorToRpc(result.err()) : null,
        logs: meta.logs(),
        unitsConsumed: meta.computeUnitsConsumed(),
        innerInstructions: innerInstructionsOf(meta),
      };
    } finally {
      this.svm.withSigverify(true);
    }
  }

  transaction(signature: string): LandedTransaction | undefined {
    return this.landed.get(signature);
  }

  /** The landed transactions that load `account`, newest first, as getSignaturesForAddress lists them. */
  transactionsLoading(account: string): LandedTransaction[] {
    return [...this.landed.values()].filter((record) => record.accountKeys.includes(account as Address)).reverse();
  }

  lamportsOf(address: Address): bigint {
    return this.svm.getBalance(address) ?? 0n;
  }

  private rememberLatest(): void {
    this.lastValidHeight.set(this.svm.latestBlockhash() as string, this.blockHeight + BLOCKHASH_VALIDITY_BLOCKS);
  }

  private stampClock(): void {
    const clock = this.svm.getClock();
    clock.unixTimestamp = BigInt(Math.floor(Date.now() / 1000));
    this.svm.setClock(clock);
  }
}

function signatureOf(tx: Transaction): string {
  const first = Object.values(tx.signatures)[0];
  if (!first) throw new RejectedTransaction("MissingSignatureForFee");
  return base58.decode(first);
}

/**
 * LiteSVM reports the fee only in the metadata's debug text; read it there and fail loudly if a
 * new LiteSVM prints it otherwise, rather than guess it from balance changes.
 */
function feeOf(meta: TransactionMetadata): bigint {
  const match = /\bfee: (\d+)\b/.exec(meta.toString());
  if (!match) throw new Error("solana rig: LiteSVM metadata no longer shows the fee; update feeOf()");
  return BigInt(match[1]!);
}

function innerInstructionsOf(meta: TransactionMetadata): RpcInnerInstructions[] {
  return meta
    .innerInstructions()
    .map((list, index) => ({
      index,
      instructions: list.map((inner) => {
        const ix = inner.instruction();
        return {
          programIdIndex: ix.programIdIndex(),
          accounts: Array.from(ix.accounts()),
          data: base58.decode(ix.data()),
          stackHeight: inner.stackHeight(),
        };
      }),
    }))
    .filter((entry) => entry.instructions.length > 0);
}

// LiteSVM's error enums are const enums in its types but plain objects at run time.
const errorEnums = liteSvmInternal as unknown as Record<string, Record<string, number>>;
const nameOf = (enumName: string, value: number): string =>
  Object.entries(errorEnums[enumName] ?? {}).find(([, v]) => v === value)?.[0] ?? `Unknown(${value})`;

/** LiteSVM's error objects in the JSON shape of Solana's RPC. */
export function errorToRpc(err: ReturnType<FailedTransactionMetadata["err"]>): RpcTransactionError {
  if (typeof err === "number") return nameOf("TransactionErrorFieldless", err);
  if (err instanceof TransactionErrorInstructionError) {
    const inner = err.err();
    let detail: unknown;
    if (typeof inner === "number") detail = nameOf("InstructionErrorFieldless", inner);
    else if (inner instanceof InstructionErrorCustom) detail = { Custom: inner.code };
    else if (inner instanceof InstructionErrorBorshIo) detail = { BorshIoError: inner.msg };
    else detail = String(inner);
    return { InstructionError: [err.index, detail] };
  }
  if (err instanceof TransactionErrorDuplicateInstruction) return { DuplicateInstruction: err.index };
  if (err instanceof TransactionErrorInsufficientFundsForRent) {
    return { InsufficientFundsForRent: { account_index: err.accountIndex } };
  }
  if (err instanceof TransactionErrorProgramExecutionTemporarilyRestricted) {
    return { ProgramExecutionTemporarilyRestricted: { account_index: err.accountIndex } };
  }
  return String(err);
}
