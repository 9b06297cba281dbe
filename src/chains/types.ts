import type { PaymentOption, PaymentRequired } from "../x402/types.js";

/** What the payment path knows of a network, whatever its family. CAIP-2 ids are the internal name. */
export interface NetworkInfo {
  caip2: string;
  /** The x402 v1 name servers use for it (`base-sepolia`); null where x402 v1 has none. */
  v1Name: string | null;
  displayName: string;
  defaultRpc: string;
  /** Transaction page prefix, or null where the network has no public explorer. */
  explorerTxUrl: string | null;
}

/** A token we are willing to sign for. Nothing outside the families' tables and the owner's `assets` is ever signed. */
export interface AssetInfo {
  network: string;
  /** In the family's canonical form (EVM: checksummed), so equal tokens compare equal. */
  address: string;
  symbol: string;
  decimals: number;
  /** Price of one whole token in USD micros (1 USDC = 1 USD = 1_000_000). */
  usdPerUnitMicros: bigint;
}

/**
 * The wallet's key as the payment path holds it: the address payments come from. Signing
 * stays inside the family whose schemes use it; nothing here says how.
 */
export interface ChainSigner {
  readonly address: string;
}

/**
 * What ties a settlement to one signed authorization, in the family's own terms (EIP-3009:
 * its nonce). The ledger and receipts carry it as opaque text.
 */
export interface AuthorizationId {
  kind: string;
  nonce: string;
}

export interface SignPaymentInput {
  account: ChainSigner;
  option: PaymentOption;
  /** Our own record of the token: its EIP-712 domain is used, never the server's `extra`. */
  asset: AssetInfo;
  required: PaymentRequired;
  /** What the scheme's own preflight returned (Permit2: the EIP-2612 nonce of a gasless approval); only that scheme reads it. */
  preflight?: unknown;
}

/** What goes into the payment header (before base64), plus facts for the receipt. */
export interface SignedPayment {
  payload: Record<string, unknown>;
  payer: string;
  /** Unix seconds after which the authorization can no longer be settled. */
  validBefore: number;
  /** The authorization's unique nonce, so the ledger can match it to an on-chain transfer. */
  nonce: string | undefined;
  /** What the chain shows when this authorization is settled; the on-chain check requires it. */
  authorization: AuthorizationId | undefined;
  /** Solana: the block height after which the signed transaction can no longer land (a resend is checked against it). */
  lastValidBlockHeight?: bigint | undefined;
}

/**
 * An authorization whose terms are fixed but not signed yet. The ledger records its terms
 * while the key signs them; the signature is handed on only once that record is on disk.
 */
export interface PreparedPayment {
  payer: string;
  /** Unix seconds after which the authorization can no longer be settled. */
  validBefore: number;
  nonce: string | undefined;
  /** Solana: the block height after which the signed transaction can no longer land, recorded with the terms. */
  lastValidBlockHeight?: bigint;
  /** Signs exactly these terms. */
  sign(): Promise<SignedPayment>;
}

/** A scheme × chain family plug-in (`exact` with EIP-3009 on EVM today). */
export interface PaymentScheme {
  /** Short name for messages: `exact on EVM`. */
  readonly label: string;
  handles(option: PaymentOption): boolean;
  /** Why this option cannot be paid by this scheme, or null when it can. `asset`: our record of its token, when known. */
  refusal(option: PaymentOption, asset: AssetInfo | undefined): string | null;
  prepare(input: SignPaymentInput): PreparedPayment;
  /**
   * A read of the chain the scheme needs to pass before anything is signed (Permit2: the
   * token's allowance for Permit2). Throws a CodedError saying how to fix what it found;
   * any other error means the read itself failed, which blocks nothing. What it resolves to
   * is handed to `prepare` as `preflight` (Permit2: the facts of a gasless approval).
   */
  preflight?(reads: ChainReads, input: PreflightInput): Promise<unknown>;
}

export interface PreflightInput {
  account: ChainSigner;
  option: PaymentOption;
  asset: AssetInfo;
  /** The 402 the option came from: its `extensions` may offer another way to meet a precondition. */
  required: PaymentRequired;
}

/** A transfer the server says settled a payment, to be checked on the chain. */
export interface ExpectedSettlement {
  network: string;
  transaction: string;
  asset: string;
  from: string;
  to: string;
  amount: bigint;
  /** Without it the transfer cannot be told apart from another payment's: never `verified`. */
  authorization: AuthorizationId | undefined;
}

export type Verification =
  | { status: "verified" }
  | { status: "mismatch"; detail: string }
  /** The transfer is there, but nothing proves it settles this payment rather than another. */
  | { status: "unattributed"; detail: string }
  | { status: "pending"; detail: string }
  | { status: "unknown"; detail: string };

/** A signed payment whose outcome the ledger does not know, as reconciliation asks its chain about it. */
export interface PaymentToReconcile {
  network: string;
  asset: string;
  payer: string;
  payTo: string;
  /** What was signed (upto: the maximum), in atomic units. */
  amountAtomic: bigint;
  /** "exact" or "upto" when a receipt says; undefined when the process stopped before one (the nonce's form then tells). */
  scheme: string | undefined;
  /** Unix seconds (EVM: the authorization's validBefore or Permit2 deadline). */
  validBefore: number;
  /** The family's authorization id (EIP-3009: bytes32 hex; Permit2: decimal; Solana: the transaction signature). */
  nonce: string | undefined;
  /** Solana: the block height after which the signed transaction can no longer land. */
  lastValidBlockHeight: bigint | undefined;
  /** When it was signed, by the signing server's clock (ms): only bounds how far back logs are searched. */
  signedAtMs: number;
}

/**
 * What the chain proves about one signed payment. Only `settled` and `expired` change the
 * ledger, and each carries its proof (a transaction read on-chain, or the chain's own time or
 * height past the authorization's expiry with the authorization unused).
 */
export type ReconcileFinding =
  /** Moved `amountAtomic` (upto: what was taken) in `transaction`, read on-chain with this payment's own authorization. */
  | { status: "settled"; transaction: string; amountAtomic: bigint }
  /** Used in `transaction`, which does not move what was signed. */
  | { status: "mismatch"; transaction: string; detail: string }
  | { status: "expired"; reason: string }
  /** Nothing proven either way yet (still valid, or used where no transfer could be found). */
  | { status: "open"; detail: string };

/** A transfer of a token out of an address, read from the chain's logs. */
export interface OutgoingTransfer {
  network: string;
  asset: string;
  transaction: string;
  /** Its position in the block: with the transaction, what makes it one transfer. */
  logIndex: number;
  to: string;
  amountAtomic: bigint;
  /** The block's timestamp (ms). */
  blockAtMs: number;
}

/** A family's reads of its chains, through the owner's RPCs (`rpc`) or the tables' public ones. */
export interface ChainReads {
  /** The on-chain balance of `owner` in `asset`, in atomic units. */
  readBalance(asset: AssetInfo, owner: string): Promise<bigint>;
  /** How much of `owner`'s `asset` `spender` may move on its own (ERC-20 allowance), in atomic units. */
  readAllowance(asset: AssetInfo, owner: string, spender: string): Promise<bigint>;
  /** The token's EIP-2612 `nonces(owner)` and `DOMAIN_SEPARATOR()`; rejects when it has no EIP-2612. */
  readEip2612(asset: AssetInfo, owner: string): Promise<{ nonce: bigint; domainSeparator: string }>;
  /** The token's own `decimals()` (SPL: the mint's), read once per token for the life of these reads. */
  readDecimals(asset: AssetInfo): Promise<number>;
  /** Solana: the latest blockhash, and the last block height at which a transaction made with it can land. */
  readLatestBlockhash?(network: string): Promise<{ blockhash: string; lastValidBlockHeight: bigint }>;
  /** Solana: the network's current block height, to compare with a transaction's last valid one. */
  readBlockHeight?(network: string): Promise<bigint>;
  /** Solana: the program owning the account at `address`, or null when there is no account. */
  readAccountOwner?(network: string, address: string): Promise<string | null>;
  /**
   * Reconciliation: what the chain proves about a signed payment (its family's schemes decide
   * how). Rejects when a read fails: nothing is concluded from a failed read.
   */
  reconcilePayment?(payment: PaymentToReconcile): Promise<ReconcileFinding>;
  /** Reconciliation: every transfer of `asset` out of `owner` in blocks from `sinceMs` (the chain's time) on. */
  outgoingTransfers?(asset: AssetInfo, owner: string, sinceMs: number): Promise<OutgoingTransfer[]>;
  /** Whether the transaction a server reported settles exactly what was signed. Waits at most `timeoutMs`. */
  verifySettlement(expected: ExpectedSettlement, timeoutMs: number): Promise<Verification>;
  /** The CAIP-2 id of the chain the network's RPC actually serves (doctor compares it with the configured one). */
  servedNetwork(network: string): Promise<string>;
  /** The network's RPC as it may be shown: its credentials (user, path, query) left out. */
  redactedRpcUrl(network: string): string | undefined;
  /** Closes the RPC connections kept alive between calls. */
  close(): Promise<void>;
}

/** An asset entry of the owner's config, before its family checks and normalizes it. */
export interface ConfiguredAsset {
  network: string;
  address: string;
  symbol: string;
  decimals: number;
  usdPerUnitMicros: bigint;
  eip712?: { name: string; version: string } | undefined;
}

/**
 * One chain family (EVM, later Solana), as `@x402/evm` and `@x402/svm` are separate packages:
 * its networks and default tokens as data, its signer, its chain reads and its schemes. A
 * family module is tables and pure functions; its RPC client loads on the first read.
 */
export interface ChainFamily {
  /** The CAIP-2 namespace of its networks: "eip155". */
  readonly namespace: string;
  /** For messages: "EVM". */
  readonly label: string;
  readonly networks: readonly NetworkInfo[];
  /** The default token of each network. */
  readonly assets: readonly AssetInfo[];
  readonly schemes: readonly PaymentScheme[];
  /** The signer for the configured key; a CONFIG_INVALID error names `source`, never the key. */
  signer(key: string, source: string): ChainSigner;
  /** An owner's extra token in the family's own form; throws a message naming what is wrong. */
  asset(configured: ConfiguredAsset): AssetInfo;
  /** The address in the family's canonical form, or undefined when it is not one of its addresses. */
  canonicalAddress(address: string): string | undefined;
  /** Whether `transaction` is written as this family's transaction ids are (EVM: a 0x hash; Solana: a base58 signature). */
  isTransactionId(transaction: string): boolean;
  /** The explorer page of a transaction, when the network's explorer needs more than a prefix. */
  explorerUrl?(caip2: string, transaction: string): string | null;
  /** How to configure this family's key, for the refusal of its options when none is. */
  readonly keyHint: string;
  /** Sign-in-with-x (CAIP-122): how the wallet's key of this family proves it paid before. */
  readonly signIn: SignInSigning;
  /** Its chain reads, through `rpc[network]` where the owner set one. */
  reads(rpc: Readonly<Record<string, string>>, timeoutMs: number): ChainReads;
}

/**
 * A family's side of sign-in-with-x: the signature type servers name in `supportedChains`,
 * and the signature of a sign-in message by the wallet's key, written as the family writes
 * signatures. Only a sign-in text is signed here, never a payment.
 */
export interface SignInSigning {
  /** `eip191` (EVM), `ed25519` (Solana). */
  readonly type: string;
  /** EVM: EIP-191 personal message, 0x hex; Solana: Ed25519 over the UTF-8 text, base58. */
  sign(signer: ChainSigner, message: string): Promise<string>;
}
