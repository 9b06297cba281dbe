import { effectivePerCallLimit } from "../budget/caps.js";
import { familyOf } from "../chains/index.js";
import { signerFor, type Runtime } from "../runtime.js";
import type { PayableOption, SelectionPolicy } from "../x402/select.js";

/** The owner's rules for which options may be paid at all. */
export function selectionPolicy(rt: Runtime): SelectionPolicy {
  return {
    networks: rt.config.networks,
    assets: rt.assets,
    payees: rt.config.payees,
    // Without any key, the price can still be quoted; paying is refused as NO_WALLET.
    missingKey: (network) => {
      const family = familyOf(network);
      return family && rt.signers.size > 0 && !signerFor(rt, network) ? `no ${family.label} key is configured. ${family.keyHint}` : null;
    },
  };
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

