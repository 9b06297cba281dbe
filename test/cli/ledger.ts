import { FileBudgetStore } from "../../src/budget/fileStore.js";
import type { Receipt } from "../../src/payment/receipt.js";
import { USDC_ADDRESS } from "../rig/index.js";

const LIMITS = { perCall: 10_000_000n, perSession: 100_000_000n, perDay: 100_000_000n, hosts: [] };
const PAY_TO = "0x2222222222222222222222222222222222222222";

export interface Payment {
  url: string;
  usdMicros: bigint;
  at: number;
  /** The receipt committed; undefined leaves the payment signed without an outcome. */
  transaction?: string;
}

/** Writes payments into a ledger exactly as the server does (reserve, sign, outcome) and returns their receipts. */
export async function writePayments(path: string, payer: string, payments: Payment[]): Promise<(Receipt | null)[]> {
  const receipts: (Receipt | null)[] = [];
  for (const payment of payments) {
    const store = await FileBudgetStore.open(path, { log: () => undefined }, () => payment.at);
    const url = new URL(payment.url);
    const reservation = await store.reserve({
      sessionId: "test-session",
      usdMicros: payment.usdMicros,
      limits: LIMITS,
      meta: { url: payment.url, host: url.host, network: "eip155:84532", asset: USDC_ADDRESS, amountAtomic: payment.usdMicros, payTo: PAY_TO },
    });
    await store.recordSigned(reservation, { payer, validBefore: Math.floor(payment.at / 1000) + 300, nonce: undefined });
    if (payment.transaction === undefined) {
      receipts.push(null);
    } else {
      const receipt: Receipt = {
        status: "verified",
        amount: (Number(payment.usdMicros) / 1e6).toFixed(2),
        amountAtomic: payment.usdMicros.toString(),
        asset: USDC_ADDRESS,
        symbol: "USDC",
        network: "eip155:84532",
        payTo: PAY_TO,
        payer,
        transaction: payment.transaction,
        explorerUrl: `https://sepolia.basescan.org/tx/${payment.transaction}`,
        scheme: "exact",
        x402Version: 2,
        resource: payment.url,
        paidAt: new Date(payment.at).toISOString(),
      };
      await store.commit(reservation, { status: "verified", receipt });
      receipts.push(receipt);
    }
    await store.close();
  }
  return receipts;
}
