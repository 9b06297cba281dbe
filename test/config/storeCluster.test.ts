import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";

describe("store.cluster", () => {
  it("takes the nodes of a Redis Cluster in place of one url", () => {
    const config = ConfigSchema.parse({ store: { kind: "redis", cluster: ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"] } });
    expect(config.store).toMatchObject({ kind: "redis", cluster: ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"], prefix: "x402:" });
  });

  it("refuses both url and cluster, and neither, naming the two keys", () => {
    for (const store of [{ kind: "redis", url: "redis://127.0.0.1:6379", cluster: ["redis://127.0.0.1:7000"] }, { kind: "redis" }]) {
      const result = ConfigSchema.safeParse({ store });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/exactly one of "url".*"cluster"/);
    }
  });

  it("refuses a node that is not a redis:// URL", () => {
    expect(ConfigSchema.safeParse({ store: { kind: "redis", cluster: ["127.0.0.1:7000"] } }).success).toBe(false);
  });
});
