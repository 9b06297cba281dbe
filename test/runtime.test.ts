import { describe, expect, it } from "vitest";
import type { BudgetStore } from "../src/budget/types.js";
import { ConfigSchema } from "../src/config/schema.js";
import { createRuntime } from "../src/runtime.js";

describe("runtime", () => {
  it("close waits for deferred work, even work that fails, before closing the store", async () => {
    const order: string[] = [];
    const budget = { close: async () => void order.push("store closed") } as unknown as BudgetStore;
    const rt = await createRuntime({ config: ConfigSchema.parse({}), account: null, budget, logger: { log() {} } });
    rt.defer(() => new Promise((resolve) => setTimeout(() => resolve(order.push("outcome written")), 30)));
    rt.defer(() => Promise.reject(new Error("disk full")));
    await rt.close();
    expect(order).toEqual(["outcome written", "store closed"]);
  });

  it("starts deferred work after the current turn, not inside it", async () => {
    const rt = await createRuntime({ config: ConfigSchema.parse({}), account: null, budget: { close: async () => undefined } as unknown as BudgetStore, logger: { log() {} } });
    const order: string[] = [];
    rt.defer(async () => void order.push("deferred"));
    await Promise.resolve();
    order.push("answer written");
    await rt.close();
    expect(order).toEqual(["answer written", "deferred"]);
  });
});
