/**
 * Money is integer atomic units (bigint) everywhere inside; decimal strings exist only
 * at the edges (config, tool output). No floating point ever touches an amount.
 */

/** USD amounts inside the budget are counted in micro-dollars: 6 decimals, like USDC. */
export const USD_DECIMALS = 6;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Parses a non-negative decimal string ("0.10", "5") into atomic units of `decimals`. */
export function parseDecimal(value: string, decimals: number): bigint {
  const match = DECIMAL.exec(value.trim());
  if (!match) throw new RangeError(`"${value}" is not a non-negative decimal number such as "0.10"`);
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) {
    throw new RangeError(`"${value}" has more than ${decimals} decimal places`);
  }
  return BigInt(whole + fraction.padEnd(decimals, "0"));
}

/** Formats atomic units as a decimal string with at least `minFractionDigits` digits after the point. */
export function formatDecimal(atomic: bigint, decimals: number, minFractionDigits = 2): string {
  const negative = atomic < 0n;
  const digits = (negative ? -atomic : atomic).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  let fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
  if (fraction.length < minFractionDigits) fraction = fraction.padEnd(Math.min(minFractionDigits, decimals), "0");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

export const parseUsd = (value: string): bigint => parseDecimal(value, USD_DECIMALS);
export const formatUsd = (micros: bigint): string => formatDecimal(micros, USD_DECIMALS);

/**
 * Converts an asset amount to USD micros, rounding up so that a cap is never
 * undercounted. `usdPerUnitMicros` is the price of one whole token in USD micros.
 */
export function assetToUsdMicros(amount: bigint, decimals: number, usdPerUnitMicros: bigint): bigint {
  const numerator = amount * usdPerUnitMicros;
  const denominator = 10n ** BigInt(decimals);
  return (numerator + denominator - 1n) / denominator;
}
