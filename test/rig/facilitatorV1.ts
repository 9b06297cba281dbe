import express, { type Request } from "express";
import { settle, verify } from "x402/facilitator";
import { PaymentPayloadSchema, PaymentRequirementsSchema } from "x402/types";
import { NETWORK_V1, type SignerClient } from "./chain.js";
import { listenLocal, type Listening } from "./routes.js";

type X402Signer = Parameters<typeof settle>[0];

/**
 * Minimal HTTP facilitator speaking the v1 wire format that x402-express's useFacilitator()
 * calls: POST /verify, POST /settle, GET /supported. The work is done by the official `x402`
 * package's verify/settle.
 */
export async function startFacilitatorV1(wallet: SignerClient): Promise<Listening> {
  // x402's Signer type is viem's wallet client + public actions, which is exactly `wallet`.
  const signer = wallet as unknown as X402Signer;
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "1mb" }));

  const parse = (req: Request) => {
    const body = req.body as { paymentPayload?: unknown; paymentRequirements?: unknown } | undefined;
    return {
      paymentPayload: PaymentPayloadSchema.parse(body?.paymentPayload),
      paymentRequirements: PaymentRequirementsSchema.parse(body?.paymentRequirements),
    };
  };
  const payerOf = (req: Request): string => {
    const from = (req.body as { paymentPayload?: { payload?: { authorization?: { from?: unknown } } } })
      ?.paymentPayload?.payload?.authorization?.from;
    return typeof from === "string" ? from : "";
  };
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

  app.post("/verify", async (req, res) => {
    let input;
    try {
      input = parse(req);
    } catch (err) {
      return void res.status(400).json({ error: message(err) });
    }
    try {
      res.json(await verify(signer, input.paymentPayload, input.paymentRequirements));
    } catch (err) {
      // Same shape as a normal rejection, so x402-express answers 402 instead of choking on HTML.
      res.json({ isValid: false, invalidReason: "unexpected_verify_error", payer: payerOf(req), errorMessage: message(err) });
    }
  });

  app.post("/settle", async (req, res) => {
    let input;
    try {
      input = parse(req);
    } catch (err) {
      return void res.status(400).json({ error: message(err) });
    }
    try {
      res.json(await settle(signer, input.paymentPayload, input.paymentRequirements));
    } catch (err) {
      // x402's settle throws when the transfer reverts at gas estimation (e.g. a replayed nonce,
      // which its verify() does not check); report it the way a facilitator would.
      res.json({
        success: false,
        errorReason: "unexpected_settle_error",
        transaction: "",
        network: input.paymentRequirements.network,
        payer: payerOf(req),
        errorMessage: message(err),
      });
    }
  });

  app.get("/supported", (_req, res) => {
    res.json({ kinds: [{ x402Version: 1, scheme: "exact", network: NETWORK_V1 }] });
  });

  return listenLocal(app);
}
