import { describe, expect, it } from "vitest";
import { htmlToText } from "../../src/content/htmlToText.js";

describe("htmlToText", () => {
  it("keeps the title and the visible text, laid out in lines and paragraphs", async () => {
    const html =
      "<!doctype html><html><head><title>Prices &amp; fees</title><style>p{color:red}</style>" +
      "<script>if (a<b) leak()</script></head><body><h1>Prices</h1><p>One\n   two &lt;three&gt; &#x41;&#66;&nbsp;c &unknown;</p>" +
      "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table><ul><li>x</li><li>y</li></ul>" +
      "a < b<!-- hidden --> <svg><title>icon</title></svg>end<br>next<noscript>Enable JavaScript</noscript></body></html>";
    expect(await htmlToText(html)).toBe("Prices & fees\n\nPrices\n\nOne two <three> AB c &unknown;\n\na b\n1 2\n\nx\ny\n\na < b end\nnext");
  });

  it("gives the empty string for a page with no text", async () => {
    expect(await htmlToText("<html><head><script>x()</script></head><body><div> </div></body></html>")).toBe("");
  });

  it("stays linear on markup built to make a scanner backtrack", async () => {
    const traps = [
      "<script>".repeat(400_000), // never closed: one failed search, not one per tag
      "<!--".repeat(500_000),
      "<a".repeat(1_000_000),
      "<".repeat(2_000_000),
      "&amp;".repeat(400_000),
      "<span> </span>".repeat(150_000),
      `${"<div>".repeat(200_000)}deep${"</div>".repeat(200_000)}`,
    ];
    for (const trap of traps) {
      const started = Date.now();
      await htmlToText(trap);
      expect(Date.now() - started, trap.slice(0, 20)).toBeLessThan(2_000);
    }
  });

  it("lets the event loop run while it reads a large page", async () => {
    const page = "<p>A paragraph of an enormous page, with <b>some</b> markup in it.</p>\n".repeat(150_000);
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    await htmlToText(page);
    clearInterval(ticker);
    expect(page.length).toBeGreaterThan(10_000_000);
    expect(turns).toBeGreaterThan(5);
  });
});
