import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prettyJson } from "../../src/content/prettyJson.js";

describe("prettyJson", () => {
  it("lays JSON out exactly as JSON.stringify(value, null, 2) does", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = JSON.stringify(value, null, 2);
        expect(prettyJson(JSON.stringify(value))).toBe(expected);
        expect(prettyJson(JSON.stringify(value, null, "\t"))).toBe(expected);
      }),
    );
  });

  it("keeps numbers and escapes as written", () => {
    expect(prettyJson('{"wei":123456789012345678901234567890,"x":1.50,"s":"a\\"b\\u00e9"}')).toBe(
      '{\n  "wei": 123456789012345678901234567890,\n  "x": 1.50,\n  "s": "a\\"b\\u00e9"\n}',
    );
  });

  it("keeps structural characters inside strings", () => {
    expect(prettyJson('["a, b", "{:}", "[ ]"]')).toBe('[\n  "a, b",\n  "{:}",\n  "[ ]"\n]');
  });

  it("writes empty containers on one line, even with space inside", () => {
    expect(prettyJson('{"a": [ ], "b": { }}')).toBe('{\n  "a": [],\n  "b": {}\n}');
  });

  it("returns undefined for text that is not JSON", () => {
    expect(prettyJson("{not json")).toBeUndefined();
    expect(prettyJson("")).toBeUndefined();
    expect(prettyJson('{"a":1} trailing')).toBeUndefined();
  });
});
