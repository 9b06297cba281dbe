import { describe, expect, it } from "vitest";
import { bodyText } from "../../src/content/bodyText.js";

describe("bodyText", () => {
  it("returns text bodies decoded, with their charset", () => {
    expect(bodyText(Buffer.from("<p>hi</p>"), "text/html")).toBe("<p>hi</p>");
    expect(bodyText(Buffer.from([0x63, 0x61, 0x66, 0xe9]), "text/plain; charset=iso-8859-1")).toBe("café");
    expect(bodyText(Buffer.from('{"a":1}'), undefined)).toBe('{"a":1}');
  });

  it("describes binary bodies instead of dumping them", () => {
    expect(bodyText(Buffer.from([1, 2, 3]), "application/pdf")).toBe("[binary content: 3 bytes of application/pdf; not shown as text]");
    expect(bodyText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), "image/png; foo=bar")).toBe(
      "[binary content: 8 bytes of image/png; not shown as text]",
    );
    expect(bodyText(Buffer.from([0, 0xff]), undefined)).toBe("[binary content: 2 bytes of unknown type; not shown as text]");
  });

  it("is empty for an empty body", () => {
    expect(bodyText(Buffer.alloc(0), "application/octet-stream")).toBe("");
  });
});
