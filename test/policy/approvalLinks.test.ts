import { describe, expect, it } from "vitest";
import { ApprovalLinks, type PaymentBinding } from "../../src/policy/approvalLinks.js";

type Change = Partial<Omit<PaymentBinding, "question">> & { question?: Partial<PaymentBinding["question"]> };

const binding = (change: Change = {}): PaymentBinding => ({
  agent: "alice",
  method: "GET",
  body: undefined,
  ...change,
  question: {
    url: "https://api.example.com/report",
    amount: "0.50",
    symbol: "USDC",
    usd: "0.50",
    payTo: "0x1111111111111111111111111111111111111111",
    network: "Base Sepolia",
    networkId: "eip155:84532",
    asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
    description: undefined,
    threshold: "0.10",
    ...change.question,
  },
});

function approved(links: ApprovalLinks, b: PaymentBinding) {
  const link = links.open(b, true);
  expect(links.decide(link, link.csrf, "approved")).toBe("ok");
  return link;
}

describe("approval links", () => {
  it("an approval pays exactly its payment, once", () => {
    const links = new ApprovalLinks(60_000);
    approved(links, binding());
    expect(links.take(binding()).kind).toBe("approved");
    expect(links.take(binding()).kind).toBe("none");
  });

  it.each([
    ["another agent (HTTP mode)", binding({ agent: "bob" })],
    ["no agent", binding({ agent: null })],
    ["another method", binding({ method: "POST" })],
    ["another body", binding({ body: "{}" })],
    ["another URL", binding({ question: { url: "https://api.example.com/report?x=1" } })],
    ["another amount", binding({ question: { amount: "0.51" } })],
    ["another payee", binding({ question: { payTo: "0x2222222222222222222222222222222222222222" } })],
    ["another network", binding({ question: { networkId: "eip155:8453" } })],
    ["another token", binding({ question: { asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" } })],
  ])("does not cover %s", (_label, other) => {
    const links = new ApprovalLinks(60_000);
    approved(links, binding());
    expect(links.take(other).kind).toBe("none");
    expect(links.take(binding()).kind).toBe("approved");
  });

  it("needs the page's CSRF token, answers once, and not after expiry", () => {
    let now = 0;
    const links = new ApprovalLinks(60_000, () => now);
    const link = links.open(binding(), true);
    expect(links.decide(link, "guess", "approved")).toBe("forbidden");
    expect(links.decide(link, link.csrf, "declined")).toBe("ok");
    expect(links.decide(link, link.csrf, "approved")).toBe("decided");
    expect(links.take(binding()).kind).toBe("declined");

    const late = links.open(binding(), true);
    now = 60_000;
    expect(links.decide(late, late.csrf, "approved")).toBe("expired");
    expect(links.take(binding()).kind).toBe("expired");
  });

  it("an approval not redeemed within the lifetime expires", () => {
    let now = 0;
    const links = new ApprovalLinks(60_000, () => now);
    approved(links, binding());
    now = 60_000;
    expect(links.take(binding()).kind).toBe("expired");
  });

  it("tokens are 256 bits, distinct per link", () => {
    const links = new ApprovalLinks(60_000);
    const [a, b] = [links.open(binding(), true), links.open(binding({ agent: "bob" }), true)];
    expect(Buffer.from(a.token, "base64url")).toHaveLength(32);
    expect(a.token).not.toBe(b.token);
    expect(links.find(a.token)).toBe(a);
    expect(links.find(b.token.slice(0, -1))).toBeUndefined();
  });
});
