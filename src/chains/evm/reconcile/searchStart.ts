import type { ChainReader } from "../publicClients.js";
import type { ChainHead } from "./chainHead.js";
import { firstBlockAtOrAfter } from "./firstBlockAtOrAfter.js";

/**
 * How far before its signing (by the signing server's clock) a payment's settlement is looked
 * for: room for that clock to run ahead of the chain's.
 */
const CLOCK_MARGIN_SECONDS = 3_600n;

/** The block from which a payment signed at `signedAtMs` may have been settled. */
export function searchStart(client: ChainReader, signedAtMs: number, head: ChainHead): Promise<bigint> {
  const seconds = BigInt(Math.floor(signedAtMs / 1000)) - CLOCK_MARGIN_SECONDS;
  return firstBlockAtOrAfter(client, seconds > 0n ? seconds : 0n, head);
}
