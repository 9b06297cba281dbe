import { effectivePerCallLimit } from "../budget/caps.js";
import type { Runtime } from "../runtime.js";
import type { PayableOption, SelectionPolicy } from "../x402/select.js";

/** The owner's rules for which options may be paid at all. */
export function selectionPolicy(rt: Runtime): SelectionPolicy {
  return { networks: rt.config.networks, assets: rt.assets, payees: rt.config.payees };
}

/** Every cap that applies to paying `chosen` for `url`, and what the ledger records about it. */
export function capsFor(rt: Runtime, chosen: PayableOption, url: string, maxPayment: bigint | undefined) {
  const host = new URL(url).hostname;
  const base = rt.limitsFor(host);
  const perCall = effectivePerCallLimit(base.perCall, maxPayment);
  return {
    limits: { ...base, perCall },
    perCallFromCaller: perCall < base.perCall,
    meta: {
      agent: rt.agent?.name,
      url,
      host,
      network: chosen.option.network,
      asset: chosen.asset.address,
      amountAtomic: chosen.option.amount,
      payTo: chosen.option.payTo,
    },
  };
}

