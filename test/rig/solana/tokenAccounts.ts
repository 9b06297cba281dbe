import { isSome, type Address, type MaybeEncodedAccount } from "@solana/kit";
import { AccountState, getMintDecoder, getTokenDecoder, TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";
import type { LiteSVM } from "litesvm";

export const TOKEN_2022_PROGRAM_ADDRESS = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb" as Address;

/** Both token programs share the first 165 bytes of an account and the first 82 of a mint. */
const TOKEN_ACCOUNT_SIZE = 165;
const MINT_SIZE = 82;
/** Token-2022 marks an extended account with its type in byte 165 (1 = mint, 2 = account). */
const ACCOUNT_TYPE_OFFSET = 165;

const tokenDecoder = getTokenDecoder();
const mintDecoder = getMintDecoder();

export interface UiTokenAmount {
  amount: string;
  decimals: number;
  uiAmount: number;
  uiAmountString: string;
}

/** One entry of meta.preTokenBalances / postTokenBalances. */
export interface TokenBalance {
  accountIndex: number;
  mint: Address;
  owner: Address;
  programId: Address;
  uiTokenAmount: UiTokenAmount;
}

export interface TokenAccountState {
  mint: Address;
  owner: Address;
  amount: bigint;
  delegate: Address | null;
  delegatedAmount: bigint;
  state: "uninitialized" | "initialized" | "frozen";
  isNative: boolean;
  closeAuthority: Address | null;
  programId: Address;
}

export interface MintState {
  supply: bigint;
  decimals: number;
  isInitialized: boolean;
  mintAuthority: Address | null;
  freezeAuthority: Address | null;
  programId: Address;
}

type Existing = Extract<MaybeEncodedAccount, { exists: true }>;

const isTokenProgram = (owner: Address) => owner === TOKEN_PROGRAM_ADDRESS || owner === TOKEN_2022_PROGRAM_ADDRESS;

export function readTokenAccount(account: MaybeEncodedAccount): TokenAccountState | undefined {
  if (!account.exists || !isTokenProgram(account.programAddress)) return undefined;
  const { data } = account;
  if (!(data.length === TOKEN_ACCOUNT_SIZE || (data.length > TOKEN_ACCOUNT_SIZE && data[ACCOUNT_TYPE_OFFSET] === 2))) {
    return undefined;
  }
  const token = tokenDecoder.decode(data.subarray(0, TOKEN_ACCOUNT_SIZE));
  if (token.state === AccountState.Uninitialized) return undefined;
  return {
    mint: token.mint,
    owner: token.owner,
    amount: token.amount,
    delegate: isSome(token.delegate) ? token.delegate.value : null,
    delegatedAmount: token.delegatedAmount,
    state: token.state === AccountState.Frozen ? "frozen" : "initialized",
    isNative: isSome(token.isNative),
    closeAuthority: isSome(token.closeAuthority) ? token.closeAuthority.value : null,
    programId: account.programAddress,
  };
}

export function readMint(account: MaybeEncodedAccount): MintState | undefined {
  if (!account.exists || !isTokenProgram(account.programAddress)) return undefined;
  const { data } = account;
  if (!(data.length === MINT_SIZE || (data.length > TOKEN_ACCOUNT_SIZE && data[ACCOUNT_TYPE_OFFSET] === 1))) {
    return undefined;
  }
  const mint = mintDecoder.decode(data.subarray(0, MINT_SIZE));
  return {
    supply: mint.supply,
    decimals: mint.decimals,
    isInitialized: mint.isInitialized,
    mintAuthority: isSome(mint.mintAuthority) ? mint.mintAuthority.value : null,
    freezeAuthority: isSome(mint.freezeAuthority) ? mint.freezeAuthority.value : null,
    programId: account.programAddress,
  };
}

export function uiTokenAmount(amount: bigint, decimals: number): UiTokenAmount {
  const scale = 10n ** BigInt(decimals);
  const whole = amount / scale;
  const frac = (amount % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  const uiAmountString = frac ? `${whole}.${frac}` : `${whole}`;
  return { amount: amount.toString(), decimals, uiAmount: Number(uiAmountString), uiAmountString };
}

export function decimalsOfMint(svm: LiteSVM, mint: Address): number {
  const state = readMint(svm.getAccount(mint));
  if (!state) throw new Error(`solana rig: ${mint} is not a mint`);
  return state.decimals;
}

/** The token balances of a transaction's accounts, as meta.pre/postTokenBalances list them. */
export function tokenBalancesOf(svm: LiteSVM, accountKeys: readonly Address[]): TokenBalance[] {
  const balances: TokenBalance[] = [];
  accountKeys.forEach((key, accountIndex) => {
    const token = readTokenAccount(svm.getAccount(key));
    if (!token) return;
    balances.push({
      accountIndex,
      mint: token.mint,
      owner: token.owner,
      programId: token.programId,
      uiTokenAmount: uiTokenAmount(token.amount, decimalsOfMint(svm, token.mint)),
    });
  });
  return balances;
}

/** getAccountInfo's jsonParsed `data` for a token account or mint; undefined for anything else. */
export function jsonParsedData(svm: LiteSVM, account: Existing): Record<string, unknown> | undefined {
  const token = readTokenAccount(account);
  const program = account.programAddress === TOKEN_2022_PROGRAM_ADDRESS ? "spl-token-2022" : "spl-token";
  const space = account.data.length;
  if (token) {
    const info: Record<string, unknown> = {
      isNative: token.isNative,
      mint: token.mint,
      owner: token.owner,
      state: token.state,
      tokenAmount: uiTokenAmount(token.amount, decimalsOfMint(svm, token.mint)),
    };
    if (token.delegate) {
      info.delegate = token.delegate;
      info.delegatedAmount = uiTokenAmount(token.delegatedAmount, decimalsOfMint(svm, token.mint));
    }
    if (token.closeAuthority) info.closeAuthority = token.closeAuthority;
    return { program, parsed: { type: "account", info }, space };
  }
  const mint = readMint(account);
  if (mint) {
    const info = {
      decimals: mint.decimals,
      freezeAuthority: mint.freezeAuthority,
      isInitialized: mint.isInitialized,
      mintAuthority: mint.mintAuthority,
      supply: mint.supply.toString(),
    };
    return { program, parsed: { type: "mint", info }, space };
  }
  return undefined;
}
