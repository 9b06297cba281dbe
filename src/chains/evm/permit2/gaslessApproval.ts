import type { Address, Hex } from "viem";
import { getAddress } from "viem/utils";
import type { ChainReads, PreflightInput } from "../../types.js";
import { evmAssetFacts } from "../assets.js";
import { findEvmNetwork } from "../networks.js";
import { PERMIT2_ADDRESS } from "./constants.js";
import { tokenDomainSeparator, type Eip2612Permit, type TokenDomain } from "./eip2612Permit.js";

/** The x402 extension by which a facilitator submits an EIP-2612 permit for Permit2 with the payment (specs/extensions/eip2612_gas_sponsoring.md). */
export const EIP2612_GAS_SPONSORING = "eip2612GasSponsoring";
/** The version of the extension's info this wallet fills in. */
const EXTENSION_VERSION = "1";

/**
 * What the preflight found for a gasless approval: the token's domain (ours, checked against
 * the token's own) and the nonce its next permit must carry. Handed to `prepare`, which signs
 * a permit of exactly the payment, for Permit2, until the Permit2 deadline.
 */
export class GaslessApproval {
  constructor(
    readonly domain: TokenDomain,
    readonly nonce: bigint,
  ) {}

  /** The permit for this payment: Permit2 may move exactly `amount`, once the token's nonce matches, until `deadline`. */
  permit(owner: Address, amount: bigint, deadline: bigint): Eip2612Permit {
    return { owner, spender: PERMIT2_ADDRESS, value: amount, nonce: this.nonce, deadline };
  }
}

/**
 * Whether the option's 402 offers gasless approval and this token can take it: the extension
 * is offered (in a version we fill in), our table holds the token's EIP-712 domain, and the
 * token answers `nonces(owner)` with a `DOMAIN_SEPARATOR()` equal to that domain's. A string
 * says why not; the caller then refuses as without the extension.
 */
export async function planGaslessApproval(reads: ChainReads, { account, option, asset: tableAsset, required }: PreflightInput): Promise<GaslessApproval | string | null> {
  const offered = required.extensions?.[EIP2612_GAS_SPONSORING];
  if (offered === undefined) return null;
  const version = infoOf(offered)?.version;
  if (version !== undefined && version !== EXTENSION_VERSION) return `its version ${JSON.stringify(version)} is not the version ${EXTENSION_VERSION} this wallet signs`;
  const asset = evmAssetFacts(tableAsset);
  const network = findEvmNetwork(option.network);
  if (!network) return `network ${option.network} has no signing support here`;
  if (!asset.eip712) return `${asset.symbol} has no EIP-712 domain on record, so no EIP-2612 permit is signed for it`;
  const domain: TokenDomain = { ...asset.eip712, chainId: network.chainId, verifyingContract: getAddress(asset.address) };
  let state: { nonce: bigint; domainSeparator: string };
  try {
    state = await reads.readEip2612(asset, account.address);
  } catch (error) {
    return `${asset.symbol} ${asset.address} answers no EIP-2612 nonces()/DOMAIN_SEPARATOR() (${(error as Error).message.split("\n")[0]})`;
  }
  // A permit signed under another domain would be refused by the token after the payment left.
  if (state.domainSeparator.toLowerCase() !== tokenDomainSeparator(domain).toLowerCase()) {
    return `${asset.symbol}'s DOMAIN_SEPARATOR() on-chain is not the one of its EIP-712 domain on record (${asset.eip712.name}, version ${asset.eip712.version})`;
  }
  return new GaslessApproval(domain, state.nonce);
}

/**
 * The payment payload's extensions with the signed permit filled in: the server's other
 * extensions and its declaration echoed as the official client echoes them, every field of
 * the permit our own (a server's `spender` or `amount` is never taken).
 */
export function withSignedPermit(
  extensions: Record<string, unknown> | undefined,
  asset: Address,
  permit: Eip2612Permit,
  signature: Hex,
): Record<string, unknown> {
  const declared = extensions?.[EIP2612_GAS_SPONSORING];
  const declaration = isRecord(declared) ? declared : {};
  const info = {
    ...infoOf(declared),
    from: permit.owner,
    asset,
    spender: permit.spender,
    amount: permit.value.toString(),
    nonce: permit.nonce.toString(),
    deadline: permit.deadline.toString(),
    signature,
    version: EXTENSION_VERSION,
  };
  return { ...extensions, [EIP2612_GAS_SPONSORING]: { ...declaration, info } };
}

function infoOf(declared: unknown): Record<string, unknown> | undefined {
  return isRecord(declared) && isRecord(declared.info) ? declared.info : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
