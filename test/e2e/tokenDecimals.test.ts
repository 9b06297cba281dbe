import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { USDC_EIP712, startRig, type Rig, type RigWallet } from "../rig/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";
import { signatureTap } from "./signatureTap.js";

/**
 * The rig's USDC has 6 decimals. An owner's `assets` entry saying 18 would price its $0.01
 * (10 000 atomic units) at 10^-14 USD, under every cap: the on-chain decimals() refuses it.
 */
describe("a token whose on-chain decimals() disagrees with the record", () => {
  let rig: Rig;
  let wallet: RigWallet;
  let tap: Awaited<ReturnType<typeof signatureTap>>;
  let mcp: McpSession;
  let ledger: string;

  beforeAll(async () => {
    rig = await startRig();
    wallet = await rig.newWallet(1_000_000n);
    tap = await signatureTap(rig.v2.url);
    ledger = join(mkdtempSync(join(tmpdir(), "decimals-")), "ledger.jsonl");
    mcp = await startMcp({
      config: {
        ledger,
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        assets: [{ network: "eip155:84532", address: rig.usdc, symbol: "USDC", decimals: 18, usdPerUnit: "1", eip712: USDC_EIP712 }],
      },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await tap?.close();
    await rig?.stop();
  });

  it("is refused with ASSET_DECIMALS_MISMATCH naming both decimals; nothing signed or moved, the reservation released", async () => {
    for (const attempt of [1, 2]) {
      const result = await mcp.call("paid_fetch", { url: `${tap.url}/paid?attempt=${attempt}` });
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toMatch(/^\[ASSET_DECIMALS_MISMATCH\] /);
      expect(text).toContain(`USDC (${rig.usdc}) on Base Sepolia`);
      expect(text).toContain(`the "assets" entry in the config says has 18 decimals, but the token on the chain says 6`);
      expect(text).toContain(`Correct "decimals" of that entry to 6`);
      expect(text).toContain("Nothing was signed or paid");
    }
    expect(tap.signatures).toEqual([]);
    expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
    const events = readFileSync(ledger, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; id: string });
    expect(events.map((e) => e.type)).toEqual(["reserve", "release", "reserve", "release"]);
    expect(events[1]!.id).toBe(events[0]!.id);
    const history = (await mcp.call("spending_history")).structuredContent as Record<string, unknown>;
    expect(JSON.stringify(history)).not.toMatch(/"status":"(verified|settled|unconfirmed)"/);
  });
});
