import { describe, expect, it } from "vitest";
import { paginate, pagingHint } from "../../src/content/paginate.js";

const digits = "0123456789";

describe("paginate", () => {
  it("returns the first window and where the next one starts", () => {
    expect(paginate(digits, 0, 4)).toEqual({ text: "0123", startIndex: 0, nextStartIndex: 4, totalLength: 10, pastEnd: false });
  });

  it("ends exactly at the last character with no next page", () => {
    expect(paginate(digits, 6, 4)).toEqual({ text: "6789", startIndex: 6, nextStartIndex: null, totalLength: 10, pastEnd: false });
    expect(paginate(digits, 8, 100)).toEqual({ text: "89", startIndex: 8, nextStartIndex: null, totalLength: 10, pastEnd: false });
    expect(paginate(digits, 0, 10).nextStartIndex).toBeNull();
  });

  it("reads the whole text when pages are chained", () => {
    const text = "ab😀cd😀😀e".repeat(7);
    for (const size of [1, 2, 3, 5]) {
      let read = "";
      let next: number | null = 0;
      for (let pages = 0; next !== null; pages++) {
        if (pages > text.length) throw new Error(`paging with size ${size} does not advance`);
        const page = paginate(text, next, size);
        read += page.text;
        next = page.nextStartIndex;
      }
      expect(read).toBe(text);
    }
  });

  it("does not cut an emoji at the end of a page", () => {
    const text = "abc😀def"; // the emoji is two UTF-16 units, at 3 and 4
    const page = paginate(text, 0, 4);
    expect(page.text).toBe("abc");
    expect(page.nextStartIndex).toBe(3);
    expect(paginate(text, 3, 4).text).toBe("😀de");
  });

  it("grows a one-character page to the whole emoji rather than return nothing", () => {
    expect(paginate("😀x", 0, 1)).toEqual({ text: "😀", startIndex: 0, nextStartIndex: 2, totalLength: 3, pastEnd: false });
  });

  it("moves a start inside an emoji back to its first half", () => {
    const page = paginate("ab😀cd", 3, 3);
    expect(page.startIndex).toBe(2);
    expect(page.text).toBe("😀c");
    expect(page.nextStartIndex).toBe(5);
  });

  it("gives an empty page flagged pastEnd when start_index is at or past the end", () => {
    expect(paginate(digits, 10, 5)).toEqual({ text: "", startIndex: 10, nextStartIndex: null, totalLength: 10, pastEnd: true });
    expect(paginate(digits, 500, 5)).toEqual({ text: "", startIndex: 500, nextStartIndex: null, totalLength: 10, pastEnd: true });
  });

  it("does not flag an empty body read from the start as past the end", () => {
    expect(paginate("", 0, 5)).toEqual({ text: "", startIndex: 0, nextStartIndex: null, totalLength: 0, pastEnd: false });
  });

  it("refuses negative or fractional indices and empty windows", () => {
    expect(() => paginate(digits, -1, 5)).toThrow(RangeError);
    expect(() => paginate(digits, 1.5, 5)).toThrow(RangeError);
    expect(() => paginate(digits, 0, 0)).toThrow(RangeError);
  });
});

describe("pagingHint", () => {
  it("tells the model where to continue", () => {
    const page = paginate("x".repeat(12345), 0, 5000);
    expect(pagingHint(page)).toBe(
      "Content truncated: showing characters 0–5000 of 12345. Call again with start_index=5000 to read more.",
    );
    expect(pagingHint(paginate("x".repeat(12345), 5000, 5000))).toBe(
      "Content truncated: showing characters 5000–10000 of 12345. Call again with start_index=10000 to read more.",
    );
  });

  it("is empty on the last page", () => {
    expect(pagingHint(paginate("x".repeat(12345), 10000, 5000))).toBe("");
    expect(pagingHint(paginate("", 0, 5000))).toBe("");
  });

  it("says so when start_index is past the end", () => {
    expect(pagingHint(paginate(digits, 20, 5))).toBe(
      "Nothing to show: start_index=20 is at or past the end of the content (10 characters).",
    );
  });
});
