import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../rig/solana/index.js";
import { runCli, tempHome } from "../cli/run.js";
import { startMcp, writeConfig } from "./mcpClient.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";

/** Every form the Solana secret could be written in: base58, the JSON array, the seed in hex or base64. */
function solanaKeyForms(wallet: SolanaRigWallet): string[] {
  const seed = Buffer.from(wallet.secretKey.subarray(0, 32));
  return [wallet.secretKeyBase58, JSON.stringify([...wallet.secretKey]), [...wallet.secretKey.subarray(0, 8)].join(","), seed.toString("hex"), seed.toString("base64")];
}

function expectNoKey(text: string, wallet: SolanaRigWallet): void {
  for (const form of solanaKeyForms(wallet)) expect(text.toLowerCase()).not.toContain(form.toLowerCase());
}

describe("the Solana key never leaves the process", () => {
  let rig: SolanaRig;
  let wallet: SolanaRigWallet;
  beforeAll(async () => {
    rig = await startSolanaRig();
    wallet = await rig.newWallet(1_000_000n);
  }, 60_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it("appears in no stdout byte, stderr, tool result or ledger line over paid, refused and failed calls, from the env and from a key file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "x402-solkey-"));
    const keyFile = join(dir, "solana.json");
    writeFileSync(keyFile, JSON.stringify([...wallet.secretKey]), { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    const envs: Record<string, string>[] = [{ X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 }, { X402_SOLANA_KEY_FILE: keyFile }];
    for (const env of envs) {
      const tap = join(mkdtempSync(join(tmpdir(), "x402-tap-")), "stdout");
      const ledger = join(mkdtempSync(join(tmpdir(), "x402-ledger-")), "ledger.jsonl");
      const mcp = await startMcp({
        config: { networks: [DEVNET], rpc: { [DEVNET]: rig.rpcUrl }, hosts: { allowPrivate: true }, ledger },
        env,
        tapStdout: tap,
      });
      try {
        const paid = await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid?k=${Object.keys(env)[0]}` });
        expect((paid.structuredContent as any).payment.status).toBe("verified");
        await mcp.call("paid_fetch", { url: `${rig.v2.url}/expensive` });
        await mcp.call("paid_fetch", { url: "http://127.0.0.1:9/closed" });
        await mcp.call("quote_price", { url: `${rig.v2.url}/paid` });
        await mcp.call("wallet_balance", {});
        await mcp.call("spending_history", {});
      } finally {
        await mcp.close();
      }
      expect(existsSync(ledger)).toBe(true);
      for (const text of [readFileSync(tap, "utf8"), mcp.stderr(), mcp.transcript(), readFileSync(ledger, "utf8")]) expectNoKey(text, wallet);
    }
  });

  it("refuses a malformed or spliced key at start-up without echoing it", async () => {
    const other = await rig.newWallet();
    const spliced = Uint8Array.from([...wallet.secretKey.subarray(0, 32), ...other.secretKey.subarray(32)]);
    const { env } = tempHome();
    const config = writeConfig({ networks: [DEVNET], rpc: { [DEVNET]: rig.rpcUrl } });
    for (const bad of [JSON.stringify([...spliced]), wallet.secretKeyBase58.slice(0, -3)]) {
      const result = await runCli(["--config", config], { ...env, X402_SOLANA_PRIVATE_KEY: bad });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("X402_SOLANA_PRIVATE_KEY");
      expect(result.stdout + result.stderr).not.toContain(bad);
      expectNoKey(result.stdout + result.stderr, wallet);
    }
  });
});
