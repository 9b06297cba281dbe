import { readFileSync } from "node:fs";
import { expect } from "vitest";

/** A recognisable key: any echo of it, in any case, with or without 0x, is found. */
export const HOSTILE_KEY_HEX = "facade00c0ffee11".repeat(4);
export const HOSTILE_KEY = `0x${HOSTILE_KEY_HEX}` as const;

/** Asserts the key's hex appears in none of these texts or files. */
export function expectNoKey(texts: string[], files: string[]): void {
  const haystack = [...texts, ...files.map((f) => readFileSync(f, "utf8"))].join("\n").toLowerCase();
  expect(haystack.length).toBeGreaterThan(0);
  expect(haystack).not.toContain(HOSTILE_KEY_HEX.toLowerCase());
}
