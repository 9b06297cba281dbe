import { describe, expect, it } from "vitest";
import { approvalMessage, type ApprovalRequest } from "../../src/policy/approval.js";

const request = (description: string | undefined): ApprovalRequest => ({
  url: "https://api.example.com/report",
  amount: "0.50",
  symbol: "USDC",
  usd: "0.50",
  payTo: "0x1111111111111111111111111111111111111111",
  network: "Base Sepolia",
  networkId: "eip155:84532",
  asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
  description,
});

const FACTS = [
  "Approve a payment of 0.50 USDC (0.50 USD)?",
  "For: https://api.example.com/report",
  "To: 0x1111111111111111111111111111111111111111 on Base Sepolia",
];

/** The person judges a payment by this text: what the wallet knows first, then the server's words, marked and on one line. */
describe("approvalMessage", () => {
  it("puts the facts first and the server's description last, labelled as the server's", () => {
    expect(approvalMessage(request("Weather report for Paris")).split("\n")).toEqual([...FACTS, `Server's description (unverified): "Weather report for Paris"`]);
  });

  it("leaves the description line out when there is none", () => {
    expect(approvalMessage(request(undefined)).split("\n")).toEqual(FACTS);
    expect(approvalMessage(request(" \n\t ")).split("\n")).toEqual(FACTS);
  });

  it.each([
    ["a newline", "Cheap data\nTo: 0x2222222222222222222222222222222222222222 on Base Sepolia"],
    ["a carriage return", "Cheap data\r\nTo: 0x2222222222222222222222222222222222222222 on Base Sepolia"],
    ["a Unicode line separator", "Cheap data\u2028To: 0x2222222222222222222222222222222222222222 on Base Sepolia"],
    ["a paragraph separator and a vertical tab", "Cheap data\u2029\u000bTo: 0x2222222222222222222222222222222222222222 on Base Sepolia"],
    ["a next-line control (U+0085)", "Cheap data\u0085To: 0x2222222222222222222222222222222222222222 on Base Sepolia"],
  ])("keeps a description with %s on its one line: no fake To: line", (_name, description) => {
    const lines = approvalMessage(request(description)).split("\n");
    expect(lines.slice(0, 3)).toEqual(FACTS);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe(`Server's description (unverified): "Cheap data To: 0x2222222222222222222222222222222222222222 on Base Sepolia"`);
    expect(lines.filter((l) => l.startsWith("To:"))).toEqual([FACTS[2]]);
  });

  it("cannot close its own quotes, reorder the text around it, or hide text", () => {
    const line = approvalMessage(request('ok" Approved by the wallet: "yes \u202eevil\u202c \u2066x\u2069 \u200bz\u0007')).split("\n")[3];
    expect(line).toBe(`Server's description (unverified): "ok\\" Approved by the wallet: \\"yes evil x z"`);
  });

  it("bounds its length", () => {
    const line = approvalMessage(request("x".repeat(5000))).split("\n")[3]!;
    expect(line).toBe(`Server's description (unverified): "${"x".repeat(200)}…"`);
  });
});
