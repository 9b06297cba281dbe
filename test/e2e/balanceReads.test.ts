import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startRig, type Rig, type RigWallet } from "../rig/index.js";
import { usdcAbi } from "../rig/token.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

const BALANCE_OF = "0x70a08231";
const PRICE = 10_000n;

/**
 * The funds check before signing reuses a recent balance reading, less what was signed
 * since. Counted at a JSON-RPC proxy in front of anvil: what the server really asks the chain.
 */
describe("balance reads before paying", () => {
  let rig: Rig;
  let proxy: Server;
  let balanceReads = 0;

  beforeAll(async () => {
    rig = await startRig();
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const calls = [JSON.parse(body)].flat() as { method: string; params?: [{ data?: string; input?: string }] }[];
        for (const call of calls) {
          const data = call.params?.[0]?.data ?? call.params?.[0]?.input ?? "";
          if (call.method === "eth_call" && data.startsWith(BALANCE_OF)) balanceReads++;
        }
        const answer = await fetch(rig.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(await answer.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    proxy?.close();
    await rig?.stop();
  });
  beforeEach(() => {
    balanceReads = 0;
  });

  async function serverFor(wallet: RigWallet): Promise<McpSession> {
    const rpc = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    return startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rpc }, hosts: { allowPrivate: true }, content: { payOnceSeconds: 0 } },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  }

  const pay = (mcp: McpSession, i: number) => mcp.call("paid_fetch", { url: `${rig.v2.url}/paid?i=${i}` });

  it("reads the balance once for a run of paid calls", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await serverFor(wallet);
    try {
      for (let i = 0; i < 3; i++) expect((await pay(mcp, i)).isError, `call ${i}`).toBeFalsy();
      expect(balanceReads).toBe(1);
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 3n * PRICE);
    } finally {
      await mcp.close();
    }
  });

  it("reads again when the reading no longer covers the price: an empty wallet is refused, a top-up is seen", async () => {
    const wallet = await rig.newWallet(PRICE + PRICE / 2n);
    const mcp = await serverFor(wallet);
    try {
      expect((await pay(mcp, 0)).isError).toBeFalsy();
      const refused = await pay(mcp, 1);
      expect(textOf(refused)).toMatch(/^\[INSUFFICIENT_FUNDS\] .* holds 0\.005 USDC/);
      expect(balanceReads).toBe(2);

      await rig.mint(wallet.address, PRICE);
      expect((await pay(mcp, 2)).isError).toBeFalsy();
      expect(balanceReads).toBe(3);
      expect(await rig.balanceOf(wallet.address)).toBe(PRICE / 2n);
    } finally {
      await mcp.close();
    }
  });

  it("after the server refuses a payment because the funds left meanwhile, reads the chain before the next one", async () => {
    const wallet = await rig.newWallet(3n * PRICE);
    const mcp = await serverFor(wallet);
    try {
      expect((await pay(mcp, 0)).isError).toBeFalsy();
      // The funds leave the wallet behind the server's back (another app using the same key).
      await rig.testClient.setBalance({ address: wallet.address, value: 10n ** 18n });
      const owner = createWalletClient({ account: privateKeyToAccount(wallet.privateKey), chain: rig.chain, transport: http(rig.rpcUrl) });
      const hash = await owner.writeContract({ address: rig.usdc, abi: usdcAbi, functionName: "transfer", args: [rig.payTo, 2n * PRICE] });
      await rig.publicClient.waitForTransactionReceipt({ hash });

      // The reading (2 payments' worth) still covers the price, so this one is signed; the server refuses it.
      expect(textOf(await pay(mcp, 1))).toMatch(/^\[PAYMENT_REJECTED\]/);
      expect(balanceReads).toBe(1);
      // Not signed again on the old reading: the chain is read and the wallet is empty.
      expect(textOf(await pay(mcp, 2))).toMatch(/^\[INSUFFICIENT_FUNDS\]/);
      expect(balanceReads).toBe(2);
      expect(await rig.balanceOf(wallet.address)).toBe(0n);
    } finally {
      await mcp.close();
    }
  });
});
