import { randomBytes, randomUUID } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { parseLedgerLine, type LedgerEvent } from "../src/budget/ledgerEvents.js";

const DAY_MS = 24 * 3600_000;
const USDC_BASE_SEPOLIA = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
const HOSTS = ["api.weather.example", "news.example.com", "data.markets.example", "search.example.org", "img.example.net", "llm.example.ai"];
const PAY_TO = ["0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222", "0x3333333333333333333333333333333333333333"];
const PRICES = [1_000n, 10_000n, 20_000n, 50_000n];
const PAYMENTS_PER_SESSION = 40;

export interface FixtureInfo {
  payments: number;
  lines: number;
  bytes: number;
  /** Payments whose reserve line is inside the last 24 h (what start-up must fold). */
  inLast24h: number;
}

/**
 * Writes a ledger of `payments` payments in the server's line format (reserve, sign, then a
 * verified outcome with a full receipt), spread evenly over the 30 days before `now` in time
 * order, so the newest ones fall inside the last 24 h. Deterministic in shape, random in ids.
 */
export function writeLedgerFixture(path: string, payments: number, payer: string, now = Date.now()): FixtureInfo {
  const fd = openSync(path, "w", 0o600);
  const span = 30 * DAY_MS;
  const first = now - span;
  let bytes = 0;
  let inLast24h = 0;
  let chunk: string[] = [];
  const flush = () => {
    const text = chunk.join("");
    bytes += Buffer.byteLength(text);
    writeSync(fd, text);
    chunk = [];
  };
  let sessionId = randomUUID();
  try {
    for (let i = 0; i < payments; i++) {
      // Evenly spread, newest one minute ago.
      const at = Math.floor(first + ((i + 1) / payments) * (span - 60_000));
      if (at > now - DAY_MS) inLast24h++;
      if (i % PAYMENTS_PER_SESSION === 0) sessionId = randomUUID();
      const host = HOSTS[i % HOSTS.length]!;
      const amount = PRICES[i % PRICES.length]!;
      const payTo = PAY_TO[i % PAY_TO.length]!;
      const url = `https://${host}/v1/resource/${i}?q=item-${i % 997}`;
      const id = randomUUID();
      const tx = `0x${randomBytes(32).toString("hex")}`;
      const events: LedgerEvent[] = [
        { type: "reserve", id, at, sessionId, url, host, network: "eip155:84532", asset: USDC_BASE_SEPOLIA, amountAtomic: amount.toString(), usdMicros: amount.toString(), payTo },
        { type: "sign", id, at: at + 3, payer, validBefore: Math.floor(at / 1000) + 300, nonce: `0x${randomBytes(32).toString("hex")}` },
        {
          type: "outcome",
          id,
          at: at + 410,
          status: "verified",
          receipt: {
            status: "verified",
            amount: (Number(amount) / 1e6).toString(),
            amountAtomic: amount.toString(),
            asset: USDC_BASE_SEPOLIA,
            symbol: "USDC",
            network: "eip155:84532",
            payTo,
            payer,
            transaction: tx,
            explorerUrl: `https://sepolia.basescan.org/tx/${tx}`,
            scheme: "exact",
            x402Version: 2,
            resource: url,
            paidAt: new Date(at + 400).toISOString(),
          },
        },
      ];
      for (const e of events) chunk.push(`${JSON.stringify(e)}\n`);
      if (chunk.length >= 3000) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { payments, lines: payments * 3, bytes, inLast24h };
}

/** Every line of the fixture must parse as the server parses it: a fixture the server skips measures nothing. */
export function assertFixtureParses(path: string, sampleEvery = 1): void {
  const lines = readFileSync(path, "utf8").split("\n");
  for (let i = 0; i < lines.length; i += sampleEvery) {
    const line = lines[i]!;
    if (line.trim() && !parseLedgerLine(line)) throw new Error(`bench: line ${i + 1} of the ledger fixture ${path} does not parse: ${line.slice(0, 200)}`);
  }
}
