import type { SignInInfo } from "./parseChallenge.js";

/** The account name CAIP-122 puts in the first line, by CAIP-2 namespace. */
const ACCOUNT_NAMES: Readonly<Record<string, string>> = { eip155: "Ethereum", solana: "Solana" };

/**
 * The CAIP-122 text the wallet signs for `chainId` (`eip155:84532`, `solana:EtWT…`): SIWE
 * (EIP-4361) on EVM, SIWS on Solana, each field written exactly as the server sent it, since
 * the server rebuilds the same text from the same strings to check the signature (viem's
 * createSiweMessage rewrites dates through Date, so a server's "…:00Z" would not match).
 * The two formats differ only where the statement is absent (SIWE keeps its empty line) and
 * for an empty resources list.
 * Undefined for a namespace without a sign-in format.
 */
export function buildSignInMessage(info: SignInInfo, chainId: string, address: string): string | undefined {
  const separator = chainId.indexOf(":");
  const namespace = chainId.slice(0, separator);
  const account = ACCOUNT_NAMES[namespace];
  if (!account) return undefined;
  const head = `${info.domain} wants you to sign in with your ${account} account:\n${address}\n\n`;
  const statement = info.statement ? `${info.statement}\n\n` : namespace === "eip155" ? "\n" : "";
  const lines = [
    `URI: ${info.uri}`,
    `Version: ${info.version}`,
    `Chain ID: ${chainId.slice(separator + 1)}`,
    `Nonce: ${info.nonce}`,
    `Issued At: ${info.issuedAt}`,
  ];
  if (info.expirationTime) lines.push(`Expiration Time: ${info.expirationTime}`);
  if (info.notBefore) lines.push(`Not Before: ${info.notBefore}`);
  if (info.requestId) lines.push(`Request ID: ${info.requestId}`);
  // SIWE writes the Resources line for an empty list too; SIWS only when it lists some.
  const resources = info.resources ?? [];
  if (info.resources && (resources.length > 0 || namespace === "eip155")) lines.push("Resources:", ...resources.map((r) => `- ${r}`));
  return head + statement + lines.join("\n");
}
