/** Builders for hand-made 402 responses in unit tests. */
export const BASE_SEPOLIA_USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
export const PAY_TO = "0x1111111111111111111111111111111111111111";

export function v2Requirement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scheme: "exact",
    network: "eip155:84532",
    amount: "10000",
    asset: BASE_SEPOLIA_USDC,
    payTo: PAY_TO,
    maxTimeoutSeconds: 60,
    extra: { name: "USDC", version: "2" },
    ...overrides,
  };
}

export function v1Requirement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    scheme: "exact",
    network: "base-sepolia",
    maxAmountRequired: "10000",
    resource: "http://api.test/paid",
    description: "paid thing",
    mimeType: "application/json",
    asset: BASE_SEPOLIA_USDC,
    payTo: PAY_TO,
    maxTimeoutSeconds: 60,
    extra: { name: "USDC", version: "2" },
    ...overrides,
  };
}

export function v2Response(accepts: unknown[], extra: Record<string, unknown> = {}) {
  const header = Buffer.from(
    JSON.stringify({ x402Version: 2, resource: { url: "http://api.test/paid" }, accepts, ...extra }),
  ).toString("base64");
  return responseWith({ "payment-required": header }, "{}");
}

export function v1Response(accepts: unknown[], extra: Record<string, unknown> = {}) {
  return responseWith({}, JSON.stringify({ x402Version: 1, accepts, ...extra }));
}

export function responseWith(headers: Record<string, string>, bodyText: string) {
  return { url: "http://api.test/paid", header: (name: string) => headers[name.toLowerCase()], bodyText };
}
