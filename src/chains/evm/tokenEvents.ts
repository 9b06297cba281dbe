/**
 * The token events a payment leaves on-chain, read by the receipt check and by
 * reconciliation. Written out here: viem's erc20Abi lives in its root entry point, which
 * start-up does not load.
 */

/** The ERC-20 Transfer event. */
export const transferEvent = {
  type: "event",
  name: "Transfer",
  inputs: [
    { indexed: true, name: "from", type: "address" },
    { indexed: true, name: "to", type: "address" },
    { indexed: false, name: "value", type: "uint256" },
  ],
} as const;

/** EIP-3009's proof of use: emitted by the token when an authorization is consumed. */
export const authorizationUsedEvent = {
  type: "event",
  name: "AuthorizationUsed",
  inputs: [
    { indexed: true, name: "authorizer", type: "address" },
    { indexed: true, name: "nonce", type: "bytes32" },
  ],
} as const;
