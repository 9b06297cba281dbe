import { createKeyPairSignerFromPrivateKeyBytes, getBase58Decoder, getBase58Encoder } from "@solana/kit";
import { formatSIWEMessage, formatSIWSMessage, parseSIWxHeader, verifySIWxSignature } from "@x402/extensions/sign-in-with-x";
import { generatePrivateKey } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { evmFamily } from "../../../../src/chains/evm/index.js";
import { solanaFamily } from "../../../../src/chains/solana/index.js";
import { buildSignInMessage } from "../../../../src/x402/extensions/siwx/buildMessage.js";
import { encodeSignInHeader } from "../../../../src/x402/extensions/siwx/encodeHeader.js";
import type { SignInInfo } from "../../../../src/x402/extensions/siwx/parseChallenge.js";

const EVM_CHAIN = "eip155:84532";
const SOLANA_CHAIN = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";

const FULL: SignInInfo = {
  domain: "127.0.0.1:4000",
  uri: "http://127.0.0.1:4000/paid?x=1",
  version: "1",
  nonce: "a1b2c3d4e5f67890a1b2c3d4e5f67890",
  issuedAt: new Date().toISOString(),
  statement: "Sign in to read the notes",
  expirationTime: new Date(Date.now() + 300_000).toISOString(),
  notBefore: new Date(Date.now() - 1000).toISOString(),
  requestId: "req-7",
  resources: ["http://127.0.0.1:4000/paid?x=1", "http://127.0.0.1:4000/other"],
};
const VARIANTS: [string, SignInInfo][] = [
  ["every field", FULL],
  ["no statement, no optional field", { domain: FULL.domain, uri: FULL.uri, version: "1", nonce: FULL.nonce, issuedAt: FULL.issuedAt }],
  ["an empty resources list", { ...FULL, resources: [] }],
  // A date the server wrote without milliseconds: signed as written, not as Date would print it.
  ["seconds-only dates", { ...FULL, issuedAt: FULL.issuedAt.replace(/\.\d{3}Z$/, "Z") }],
];

async function solanaKey() {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const kit = await createKeyPairSignerFromPrivateKeyBytes(seed, true);
  const secret = getBase58Decoder().decode(Uint8Array.from([...seed, ...getBase58Encoder().encode(kit.address)]));
  return solanaFamily.signer(secret, "test");
}

describe("the sign-in message and header, against @x402/extensions", () => {
  it.each(VARIANTS)("SIWE with %s is the official text, and the official server verifies the header", async (_name, info) => {
    const signer = evmFamily.signer(generatePrivateKey(), "test");
    const message = buildSignInMessage(info, EVM_CHAIN, signer.address)!;
    expect(message).toBe(formatSIWEMessage({ ...info, chainId: EVM_CHAIN, type: "eip191" }, signer.address));
    const signature = await evmFamily.signIn.sign(signer, message);
    const header = encodeSignInHeader({ info, chainId: EVM_CHAIN, type: "eip191", address: signer.address, signature });
    const payload = parseSIWxHeader(header);
    expect(await verifySIWxSignature(payload)).toEqual({ isValid: true, payer: signer.address });
    // Another address's claim over the same signature fails: the check can fail.
    const other = evmFamily.signer(generatePrivateKey(), "test").address;
    expect((await verifySIWxSignature({ ...payload, address: other })).isValid).toBe(false);
  });

  it.each(VARIANTS)("SIWS with %s is the official text, and the official server verifies the header", async (_name, info) => {
    const signer = await solanaKey();
    const message = buildSignInMessage(info, SOLANA_CHAIN, signer.address)!;
    expect(message).toBe(formatSIWSMessage({ ...info, chainId: SOLANA_CHAIN, type: "ed25519" }, signer.address));
    const signature = await solanaFamily.signIn.sign(signer, message);
    const header = encodeSignInHeader({ info, chainId: SOLANA_CHAIN, type: "ed25519", address: signer.address, signature });
    const payload = parseSIWxHeader(header);
    expect(await verifySIWxSignature(payload)).toEqual({ isValid: true, payer: signer.address });
    expect((await verifySIWxSignature({ ...payload, nonce: "0".repeat(32) })).isValid).toBe(false);
  });

  it("SIWS keeps a statement outside ASCII as written (SIWE's grammar allows ASCII only)", async () => {
    const info = { ...FULL, statement: "Sign in to read café notes" };
    const signer = await solanaKey();
    const message = buildSignInMessage(info, SOLANA_CHAIN, signer.address)!;
    expect(message).toBe(formatSIWSMessage({ ...info, chainId: SOLANA_CHAIN, type: "ed25519" }, signer.address));
    const header = encodeSignInHeader({ info, chainId: SOLANA_CHAIN, type: "ed25519", address: signer.address, signature: await solanaFamily.signIn.sign(signer, message) });
    expect(await verifySIWxSignature(parseSIWxHeader(header))).toEqual({ isValid: true, payer: signer.address });
  });

  it("has no format for another namespace", () => {
    expect(buildSignInMessage(FULL, "cosmos:cosmoshub-4", "cosmos1xyz")).toBeUndefined();
  });
});
