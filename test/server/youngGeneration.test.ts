import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const MODULE = resolve(import.meta.dirname, "../../src/server/youngGeneration.ts");

/** The young generation's size before and after a process keeps 2 million objects, with or without the hold. */
function newSpaceGrowth(hold: boolean): { before: number; after: number } {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
    const { holdYoungGeneration } = await import(${JSON.stringify(MODULE)});
    const before = newSpace();
    if (${hold}) holdYoungGeneration();
    const kept = [];
    for (let i = 0; i < 2_000_000; i++) kept.push({ i, s: "x" + i });
    process.stdout.write(JSON.stringify({ before, after: newSpace(), kept: kept.length }));
  `;
  return JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" }));
}

describe("holdYoungGeneration", () => {
  it("keeps the young generation at its size when it is called, where V8 would grow it", () => {
    const free = newSpaceGrowth(false);
    expect(free.after).toBeGreaterThan(free.before); // what the hold prevents
    const held = newSpaceGrowth(true);
    expect(held.after).toBe(held.before);
  });
});
