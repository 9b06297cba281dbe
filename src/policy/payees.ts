export interface PayeeRules {
  allow: readonly string[];
  deny: readonly string[];
}

/** Why a payTo address may not be paid, or null. Addresses compare case-insensitively. */
export function payeeRefusal(payTo: string, rules: PayeeRules): string | null {
  const address = payTo.toLowerCase();
  if (rules.deny.some((a) => a.toLowerCase() === address)) return `payee ${payTo} is in payees.deny`;
  if (rules.allow.length > 0 && !rules.allow.some((a) => a.toLowerCase() === address)) {
    return `payee ${payTo} is not in payees.allow`;
  }
  return null;
}
