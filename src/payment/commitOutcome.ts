import type { PaymentOutcome, Reservation } from "../budget/types.js";
import type { Runtime } from "../runtime.js";

/** Writes down what became of a signed authorization; a failure is logged, never thrown. */
export async function commitOutcome(rt: Runtime, reservation: Reservation, outcome: PaymentOutcome): Promise<void> {
  try {
    await rt.budget.commit(reservation, outcome);
  } catch (error) {
    // The amount stays counted as spent (the reservation holds it); losing the outcome is only a bookkeeping gap.
    rt.logger.log("error", `could not record a payment outcome: ${(error as Error).message}`);
  }
}
