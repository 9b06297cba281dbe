import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKeyPairSignerFromPrivateKeyBytes, getBase58Decoder, getBase58Encoder } from "@solana/kit";
import { describe, expect, it } from "vitest";
import { decodeBase58, encodeBase58 } from "../../../src/chains/solana/base58.js";
import { solanaSigner } from "../../../src/chains/solana/signer.js";
import { loadSolanaWallet } from "../../../src/wallet/loadSolanaWallet.js";

/** A keypair as solana-keygen writes it (seed then public key), its address from kit. */
async function keypair(seedByte: number) {
  const seed = new Uint8Array(32).fill(seedByte);
  const signer = await createKeyPairSignerFromPrivateKeyBytes(seed, true);
  const publicKey = getBase58Encoder().encode(signer.address);
  const secret = Uint8Array.from([...seed, ...publicKey]);
  return { address: signer.address as string, secret, base58: getBase58Decoder().decode(secret) };
}

function keyFile(contents: string, mode: number): string {
  const path = join(mkdtempSync(join(tmpdir(), "x402-sol-")), "id.json");
  writeFileSync(path, contents);
  chmodSync(path, mode);
  return path;
}

describe("the Solana key", () => {
  it("base58 round-trips as kit's codec does, leading zero bytes included", () => {
    const bytes = Uint8Array.from([0, 0, 1, 2, 255, 254, 0, 7]);
    expect(encodeBase58(bytes)).toBe(getBase58Decoder().decode(bytes));
    expect(decodeBase58(encodeBase58(bytes))).toEqual(bytes);
    expect(decodeBase58("0OIl")).toBeUndefined();
  });

  it("reads base58 and solana-keygen's JSON array to the same address as kit", async () => {
    const key = await keypair(7);
    expect(solanaSigner(key.base58, "X402_SOLANA_PRIVATE_KEY").address).toBe(key.address);
    expect(solanaSigner(JSON.stringify([...key.secret]), "the key file").address).toBe(key.address);
  });

  it("refuses 64 bytes whose public half is another key's, and garbage, without showing the value", async () => {
    const [a, b] = [await keypair(1), await keypair(2)];
    const spliced = getBase58Decoder().decode(Uint8Array.from([...a.secret.subarray(0, 32), ...b.secret.subarray(32)]));
    expect(() => solanaSigner(spliced, "X402_SOLANA_PRIVATE_KEY")).toThrow(/not the public key of the first/);
    for (const bad of [spliced, "[1,2,3]", a.base58.slice(0, 40), "0x" + "ab".repeat(32)]) {
      try {
        solanaSigner(bad, "X402_SOLANA_PRIVATE_KEY");
        expect.unreachable();
      } catch (error) {
        expect((error as Error).message).toMatch(/^X402_SOLANA_PRIVATE_KEY /);
        expect((error as Error).message).not.toContain(bad);
      }
    }
  });

  it("loads X402_SOLANA_KEY_FILE only at mode 0600; the env key wins; none set is no Solana wallet", async () => {
    const key = await keypair(9);
    const file = keyFile(JSON.stringify([...key.secret]), 0o600);
    expect(loadSolanaWallet({ X402_SOLANA_KEY_FILE: file })?.address).toBe(key.address);
    const open = keyFile(JSON.stringify([...key.secret]), 0o644);
    expect(() => loadSolanaWallet({ X402_SOLANA_KEY_FILE: open })).toThrow(/can be read by other users; run "chmod 600/);
    expect(() => loadSolanaWallet({ X402_SOLANA_KEY_FILE: join(tmpdir(), "no-such-key.json") })).toThrow(/ENOENT/);
    const other = await keypair(10);
    expect(loadSolanaWallet({ X402_SOLANA_PRIVATE_KEY: other.base58, X402_SOLANA_KEY_FILE: file })?.address).toBe(other.address);
    expect(loadSolanaWallet({})).toBeNull();
  });
});
