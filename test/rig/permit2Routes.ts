import { setSettlementOverrides } from "@x402/express";
import { declareEip2612GasSponsoringExtension } from "@x402/extensions";
import { PLAIN_TOKEN_ADDRESS } from "./permit2.js";
import type { V2RouteSpec } from "./routes.js";
import { USDC_ADDRESS } from "./token.js";

/** `exact` paid through Permit2 in the plain ERC-20 (18 decimals): 0.01 token. */
export const PERMIT2_EXACT_PATH = "/permit2/exact";
export const PERMIT2_EXACT_PRICE = 10n ** 16n;

/** `upto` in test USDC: the client signs the maximum, the handler settles the actual amount. */
export const UPTO_PATH = "/upto";
export const UPTO_MAX_PRICE = "$0.05";
export const UPTO_MAX_ATOMIC = 50_000n;
/** What the upto handler takes when the request names no `?actual=` (atomic USDC). */
export const UPTO_DEFAULT_ACTUAL = 12_345n;

/**
 * `exact` through Permit2 in test USDC (which implements EIP-2612), 0.01 USDC: with the
 * `eip2612GasSponsoring` extension declared (a wallet without Permit2's allowance signs the
 * token's permit and the facilitator calls settleWithPermit), and the same without it.
 */
export const PERMIT2_SPONSORED_PATH = "/permit2/sponsored";
export const PERMIT2_USDC_PATH = "/permit2/usdc";
/** The extension declared on the plain ERC-20, which has no EIP-2612 to sign. */
export const PERMIT2_SPONSORED_PLAIN_PATH = "/permit2/sponsored-plain";
export const PERMIT2_USDC_PRICE = 10_000n;

/** An `exact` Permit2 option in test USDC, its EIP-712 domain in `extra` as official servers send it for EIP-2612 tokens. */
const usdcThroughPermit2 = {
  scheme: "exact",
  price: {
    amount: PERMIT2_USDC_PRICE.toString(),
    asset: USDC_ADDRESS,
    extra: { assetTransferMethod: "permit2", name: "USDC", version: "2" },
  },
} as const;

/**
 * The v2-only routes of a rig started with `permit2: true`. The upto handler settles
 * `?actual=<atomic units>` when given (0, the maximum or beyond it, for tests of those cases),
 * else {@link UPTO_DEFAULT_ACTUAL}.
 */
export const PERMIT2_ROUTES: V2RouteSpec[] = [
  {
    method: "GET",
    path: PERMIT2_EXACT_PATH,
    description: "exact price paid through Permit2 in a plain ERC-20",
    // An AssetAmount, as the official server takes a token outside its default table; the
    // transfer method tells the client to sign for Permit2 (the token offers nothing else).
    payment: {
      scheme: "exact",
      price: {
        amount: PERMIT2_EXACT_PRICE.toString(),
        asset: PLAIN_TOKEN_ADDRESS,
        extra: { assetTransferMethod: "permit2" },
      },
    },
    respond: (_req, res) => void res.json({ data: "paid through Permit2" }),
  },
  {
    method: "GET",
    path: PERMIT2_SPONSORED_PATH,
    description: "exact through Permit2 in USDC, approval by EIP-2612 permit (gas sponsored)",
    payment: usdcThroughPermit2,
    extensions: declareEip2612GasSponsoringExtension(),
    respond: (_req, res) => void res.json({ data: "paid through Permit2, approved by permit" }),
  },
  {
    method: "GET",
    path: PERMIT2_USDC_PATH,
    description: "exact through Permit2 in USDC, no gasless approval offered",
    payment: usdcThroughPermit2,
    respond: (_req, res) => void res.json({ data: "paid through Permit2 in USDC" }),
  },
  {
    method: "GET",
    path: PERMIT2_SPONSORED_PLAIN_PATH,
    description: "exact through Permit2 in the plain ERC-20, gasless approval offered for a token without EIP-2612",
    payment: {
      scheme: "exact",
      price: { amount: PERMIT2_EXACT_PRICE.toString(), asset: PLAIN_TOKEN_ADDRESS, extra: { assetTransferMethod: "permit2" } },
    },
    extensions: declareEip2612GasSponsoringExtension(),
    respond: (_req, res) => void res.json({ data: "paid through Permit2" }),
  },
  {
    method: "GET",
    path: UPTO_PATH,
    description: "metered: up to $0.05, settles what was used",
    // "$" as official servers price it: UptoEvmScheme picks the network's default USDC.
    payment: { scheme: "upto", price: UPTO_MAX_PRICE },
    respond: (req, res) => {
      const raw = typeof req.query.actual === "string" ? req.query.actual : UPTO_DEFAULT_ACTUAL.toString();
      if (!/^\d+$/.test(raw)) {
        res.status(400).json({ error: "actual must be an integer amount of atomic units" });
        return;
      }
      setSettlementOverrides(res, { amount: raw });
      res.json({ data: "metered content", actual: raw });
    },
  },
];
