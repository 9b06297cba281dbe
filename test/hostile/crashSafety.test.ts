import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAbiItem } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseUsd } from "../../src/money.js";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp } from "../e2e/mcpClient.js";

const KILLS = 20;
const AUTHORIZATION_USED = parseAbiItem("event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)");

/**
 * kill -9 at random points of a paid call (before the request, between signing and sending,
 * while the server settles, after settlement): on restart the ledger loads, every
 * authorization that reached the chain is in the ledger, and the daily total is never lower
 * than what the chain shows was paid.
 */
describe("crash safety", () => {
  let rig: Rig;
  beforeAll(async () => {
    // Latency on every request widens each phase so random kills land in all of them.
    rig = await startRig({ latencyMs: { v2: 120, v1: 120 } });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it(`${KILLS} kills mid-payment lose no authorization`, async () => {
    const wallet = await rig.newWallet(10_000_000n);
    const ledger = join(mkdtempSync(join(tmpdir(), "x402-crash-")), "ledger.jsonl");
    const config = {
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      budget: { perCall: "0.10", perSession: "100", perDay: "100" },
      ledger,
    };
    // How long a whole paid call takes in a fresh process on this machine right now (modules
    // load lazily on the first payment), so the kills spread over all of its phases.
    const calibration = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    const started = performance.now();
    await calibration.call("paid_fetch", { url: `${rig.v2.url}/paid` });
    const callMs = performance.now() - started;
    await calibration.close();

    const delays: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
      const call = mcp.call("paid_fetch", { url: `${i % 2 ? rig.v1.url : rig.v2.url}/paid` }).catch(() => null);
      const delay = Math.floor(Math.random() * callMs * 1.2);
      delays.push(delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      process.kill(mcp.pid!, "SIGKILL");
      await call;
    }
    // Let the paid servers finish settling what the dead processes sent.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const restarted = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      const out = (await restarted.call("wallet_balance")).structuredContent as any;
      const paidOnChain = 10_000_000n - (await rig.balanceOf(wallet.address));
      expect(parseUsd(out.budget.day.spent)).toBeGreaterThanOrEqual(paidOnChain);

      const used = await rig.publicClient.getLogs({ address: rig.usdc, event: AUTHORIZATION_USED, args: { authorizer: wallet.address }, fromBlock: 0n });
      const signedNonces = new Set(
        readFileSync(ledger, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line))
          .filter((e) => e.type === "sign")
          .map((e) => String(e.nonce).toLowerCase()),
      );
      const unaccounted = used.filter((log) => !signedNonces.has(String(log.args.nonce).toLowerCase()));
      expect(unaccounted).toEqual([]);
      expect(BigInt(used.length) * 10_000n).toBe(paidOnChain);
      // Evidence the kills landed on both sides of the payment, not all before it.
      console.error(`crash safety: a paid call takes ${Math.round(callMs)} ms; ${KILLS} kills at ${delays.join(",")} ms; ${used.length} settled on-chain; ${signedNonces.size} signed in the ledger; 0 lost`);
      expect(used.length).toBeGreaterThan(0);
      expect(signedNonces.size).toBeGreaterThan(used.length - 1);
    } finally {
      await restarted.close();
    }
  }, 300_000);
});
