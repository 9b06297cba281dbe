import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { fetchWithPayment } from "../../src/payment/fetchWithPayment.js";
import { createRuntime } from "../../src/runtime.js";
import { startRig, type Rig } from "../rig/index.js";

describe("fetchWithPayment", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it.each([false, true])("remembers a paid URL's price only for the fast path (fastPath: %s)", async (fastPath) => {
    const wallet = await rig.newWallet(1_000_000n);
    const config = ConfigSchema.parse({
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      ledger: join(mkdtempSync(join(tmpdir(), "fwp-")), "ledger.jsonl"),
      fastPath,
    });
    const rt = await createRuntime({ config, account: privateKeyToAccount(wallet.privateKey), logger: { log() {} } });
    try {
      const url = `${rig.v2.url}/paid`;
      const outcome = await fetchWithPayment(rt, { url, method: "GET", headers: {}, body: undefined });
      expect(outcome.payment?.status).toBe("verified");
      expect(rt.knownPrices.get(null, "GET", url) !== undefined).toBe(fastPath);
    } finally {
      await rt.close();
    }
  });
});
