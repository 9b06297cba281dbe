import type { Address, Hex } from "viem";
import { decodeFunctionData, getAddress, parseAbi } from "viem/utils";
import { X402_EXACT_PERMIT2_PROXY, X402_UPTO_PERMIT2_PROXY } from "./constants.js";

/** The settle functions of x402's proxies (the exact proxy's `settle` takes no amount: it moves the whole permit). */
const exactProxyAbi = parseAbi([
  "struct TokenPermissions { address token; uint256 amount; }",
  "struct PermitTransferFrom { TokenPermissions permitted; uint256 nonce; uint256 deadline; }",
  "struct Witness { address to; uint256 validAfter; }",
  "struct EIP2612Permit { uint256 value; uint256 deadline; bytes32 r; bytes32 s; uint8 v; }",
  "function settle(PermitTransferFrom permit, address owner, Witness witness, bytes signature)",
  "function settleWithPermit(EIP2612Permit permit2612, PermitTransferFrom permit, address owner, Witness witness, bytes signature)",
]);
const uptoProxyAbi = parseAbi([
  "struct TokenPermissions { address token; uint256 amount; }",
  "struct PermitTransferFrom { TokenPermissions permitted; uint256 nonce; uint256 deadline; }",
  "struct Witness { address to; address facilitator; uint256 validAfter; }",
  "struct EIP2612Permit { uint256 value; uint256 deadline; bytes32 r; bytes32 s; uint8 v; }",
  "function settle(PermitTransferFrom permit, uint256 amount, address owner, Witness witness, bytes signature)",
  "function settleWithPermit(EIP2612Permit permit2612, PermitTransferFrom permit, uint256 amount, address owner, Witness witness, bytes signature)",
]);

/** What a call to one of x402's Permit2 proxies settles: whose permit, which nonce, how much of what to whom. */
export interface ProxySettlement {
  proxy: Address;
  owner: Address;
  token: Address;
  nonce: bigint;
  /** What moves: the whole permit for `exact`, the `amount` argument for `upto`. */
  amount: bigint;
  to: Address;
}

/**
 * The settlement a transaction's calldata asks one of x402's Permit2 proxies for, or why it
 * is not one. Only a direct call to a known proxy counts: the same bytes sent to any other
 * contract prove nothing, and a call through another contract cannot be read from here.
 */
export function decodeProxySettle(tx: { to: Address | null; input: Hex }): ProxySettlement | string {
  const proxy = tx.to && getAddress(tx.to);
  if (proxy !== X402_EXACT_PERMIT2_PROXY && proxy !== X402_UPTO_PERMIT2_PROXY) {
    return `it calls ${proxy ?? "no contract"}, not x402's Permit2 proxies`;
  }
  try {
    if (proxy === X402_EXACT_PERMIT2_PROXY) {
      const { functionName, args } = decodeFunctionData({ abi: exactProxyAbi, data: tx.input });
      const [permit, owner, witness] = functionName === "settle" ? args : [args[1], args[2], args[3]];
      return { proxy, owner, token: permit.permitted.token, nonce: permit.nonce, amount: permit.permitted.amount, to: witness.to };
    }
    const { functionName, args } = decodeFunctionData({ abi: uptoProxyAbi, data: tx.input });
    const [permit, amount, owner, witness] = functionName === "settle" ? args : [args[1], args[2], args[3], args[4]];
    return { proxy, owner, token: permit.permitted.token, nonce: permit.nonce, amount, to: witness.to };
  } catch (error) {
    return `its call to ${proxy} is not a settle call (${(error as Error).message.split("\n")[0]})`;
  }
}
