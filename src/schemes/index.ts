import type { PaymentOption } from "../x402/types.js";
import { exactEvmScheme } from "./exact-evm/index.js";
import type { PaymentScheme } from "./types.js";

/** Every scheme this wallet can sign. Another scheme or chain family is another entry. */
export const SCHEMES: readonly PaymentScheme[] = [exactEvmScheme];

export function findScheme(option: PaymentOption): PaymentScheme | undefined {
  return SCHEMES.find((s) => s.handles(option));
}
