import express, { type Request, type Response } from "express";
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

  type Input = ReturnType<typeof parse>;
  const parse = (req: Request) => {
    const body = req.body as { paymentPayload?: unknown; paymentRequirements?: unknown } | undefined;
    return {
      paymentPayload: PaymentPayloadSchema.parse(body?.paymentPayload),
      paymentRequirements: PaymentRequirementsSchema.parse(body?.paymentRequirements),
    };
  };
  const payerOf = ({ paymentPayload }: Input): string => {
    const payload = paymentPayload.payload as { authorization?: { from?: unknown } };
    return typeof payload.authorization?.from === "string" ? payload.authorization.from : "";
  };
  const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

  const handle =
    (work: (input: Input) => Promise<unknown>, failure: (input: Input) => Record<string, unknown>) =>
    async (req: Request, res: Response) => {
      let input: Input;
      try {
        input = parse(req);
      } catch (err) {
        return void res.status(400).json({ error: message(err) });
      }
      try {
        res.json(await work(input));
      } catch (err) {
        // Answer in the normal response shape: x402-express then replies 402 with the reason
        // instead of failing to parse an HTML error page.
        res.json({ ...failure(input), errorMessage: message(err) });
      }
    };

  app.post(
    "/verify",
    handle(
      (i) => verify(signer, i.paymentPayload, i.paymentRequirements),
      (i) => ({ isValid: false, invalidReason: "unexpected_verify_error", payer: payerOf(i) }),
    ),
  );

  // x402's settle() throws when the transfer reverts at gas estimation, e.g. for a replayed
  // authorization nonce, which its verify() does not check.
  app.post(
    "/settle",
    handle(
      (i) => settle(signer, i.paymentPayload, i.paymentRequirements),
      (i) => ({
        success: false,
        errorReason: "unexpected_settle_error",
        transaction: "",
        network: i.paymentRequirements.network,
        payer: payerOf(i),
      }),
    ),
  );

  app.get("/supported", (_req, res) => {
    res.json({ kinds: [{ x402Version: 1, scheme: "exact", network: NETWORK_V1 }] });
  });

  return listenLocal(app);
}
