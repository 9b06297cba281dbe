import type { x402Facilitator } from "@x402/core/facilitator";
import type { PaymentPayload, PaymentRequirements } from "@x402/core/types";
import express, { type Request, type Response } from "express";
import { listenLocal, type Listening } from "../routes.js";

/**
 * The in-process official facilitator over HTTP, for x402-express (protocol v1), which only calls
 * a facilitator URL: POST /verify, POST /settle, GET /supported. registerExactSvmScheme has
 * already registered the v1 exact/SVM scheme (network "solana-devnet") beside the v2 one.
 */
export async function startFacilitatorHttp(facilitator: x402Facilitator): Promise<Listening> {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "1mb" }));

  const body = (req: Request) =>
    req.body as { paymentPayload: PaymentPayload; paymentRequirements: PaymentRequirements };
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

  app.post("/verify", async (req: Request, res: Response) => {
    const { paymentPayload, paymentRequirements } = body(req);
    try {
      res.json(await facilitator.verify(paymentPayload, paymentRequirements));
    } catch (err) {
      // In the response shape, so x402-express answers 402 with the reason rather than failing to parse.
      res.json({ isValid: false, invalidReason: "unexpected_verify_error", errorMessage: message(err), payer: "" });
    }
  });
  app.post("/settle", async (req: Request, res: Response) => {
    const { paymentPayload, paymentRequirements } = body(req);
    try {
      res.json(await facilitator.settle(paymentPayload, paymentRequirements));
    } catch (err) {
      res.json({
        success: false,
        errorReason: "unexpected_settle_error",
        errorMessage: message(err),
        transaction: "",
        network: paymentRequirements?.network ?? "",
        payer: "",
      });
    }
  });
  app.get("/supported", (_req, res) => void res.json(facilitator.getSupported()));

  return listenLocal(app);
}
