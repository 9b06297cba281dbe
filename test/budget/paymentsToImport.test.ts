import { describe, expect, it } from "vitest";
import type { LedgerEvent } from "../../src/budget/ledgerEvents.js";
import { paymentsToImport } from "../../src/budget/paymentsToImport.js";

const T0 = Date.parse("2026-03-01T00:00:00Z");
const reserve = (id: string, usdMicros: string): LedgerEvent => ({
  type: "reserve",
  id,
  at: T0,
  sessionId: "s1",
  url: "http://api.test/upto",
  host: "api.test",
  network: "eip155:84532",
  asset: "0xA",
  amountAtomic: usdMicros,
  usdMicros,
  payTo: "0xB",
});

describe("paymentsToImport", () => {
  it("imports an upto payment at the amount its actual line left counted, as the file store counts it", () => {
    const events: LedgerEvent[] = [
      reserve("upto", "50000"),
      { type: "sign", id: "upto", at: T0 + 1, payer: "0xC", validBefore: 2_000_000_000 },
      { type: "actual", id: "upto", at: T0 + 2, usdMicros: "12345" },
      { type: "actual", id: "upto", at: T0 + 3, usdMicros: "40000" },
      reserve("unsigned", "30000"),
      { type: "actual", id: "unsigned", at: T0 + 4, usdMicros: "1" },
    ];
    const [upto, unsigned] = paymentsToImport(events, T0 + 10);
    expect(upto).toMatchObject({ counts: true, since: T0 + 1, usdMicros: 12_345n });
    expect(upto!.events).toHaveLength(4);
    expect(unsigned).toMatchObject({ counts: true, since: T0, usdMicros: 30_000n });
  });
});
