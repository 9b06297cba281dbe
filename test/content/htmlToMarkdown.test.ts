import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { htmlToMarkdown } from "../../src/content/htmlToMarkdown.js";

const article = readFileSync(new URL("./fixtures/article.html", import.meta.url), "utf8");
const PAGE_URL = "https://news.example.com/2026/03/x402.html";

describe("htmlToMarkdown", () => {
  it("keeps the article: headings, paragraphs, list, absolute link, table and image", async () => {
    const { markdown, title } = await htmlToMarkdown(article, PAGE_URL);
    expect(title).toBe("Paying for APIs with x402");
    expect(markdown).toContain("## How a paid request works");
    expect(markdown).toContain("## Typical prices");
    expect(markdown).toContain("The x402 protocol finally gives it a meaning");
    expect(markdown).toMatch(/^- +The client requests the resource without paying\.$/m);
    expect(markdown).toMatch(/^- +The client signs a transfer authorization and retries\.$/m);
    expect(markdown).toContain("[full protocol specification](https://news.example.com/docs/spec.html)");
    expect(markdown).toContain("| Endpoint | Price (USD) |\n| --- | --- |\n| weather | 0.001 |\n| search | 0.010 |");
    expect(markdown).toContain("![Payment flow diagram](https://news.example.com/2026/03/images/flow.png)");
  });

  it("drops navigation, ads, footer, scripts and styles", async () => {
    const { markdown } = await htmlToMarkdown(article, PAGE_URL);
    for (const leak of ["NAV_HOME_MARKER", "AD_SIDEBAR_MARKER", "FOOTER_MARKER", "SCRIPT_LEAK_MARKER", "STYLE_LEAK_MARKER", "Celebrity gossip", "Privacy policy", "trackingPixel", "font-family"]) {
      expect(markdown).not.toContain(leak);
    }
  });

  it("keeps a short page whole", async () => {
    const html = `<html><head><title>Tiny</title><style>p{color:red}</style></head><body><p>Just <b>one</b> line, see <a href="next">next</a>.</p><script>var SECRET_SCRIPT = 1</script></body></html>`;
    const { markdown, title } = await htmlToMarkdown(html, "https://example.com/a/b");
    expect(markdown).toBe("Just **one** line, see [next](https://example.com/a/next).");
    expect(title).toBe("Tiny");
  });

  it("converts the whole body of a page that is not an article, still without scripts or styles", async () => {
    // On this page Readability alone would keep only the word "Home".
    const html =
      "<html><head><title>Status</title><style>.x{color:red}</style></head><body>" +
      '<nav><a href="/">Home</a></nav><footer><p>All systems operational. <a href="/history">History</a></p></footer>' +
      "<script>var SECRET_SCRIPT = 1</script><noscript>Enable JavaScript</noscript></body></html>";
    const { markdown, title } = await htmlToMarkdown(html, "https://status.example.com/");
    expect(markdown).toBe("[Home](https://status.example.com/)\n\nAll systems operational. [History](https://status.example.com/history)");
    expect(title).toBe("Status");
  });

  it("reads pages without <html>/<body> tags, as browsers do", async () => {
    const paragraph = "A paragraph long enough for Readability to treat this bare page as an article worth reading. ".repeat(3);
    const html = `<!doctype html><title>Bare page</title><nav><a href="/">NAV_MARKER</a></nav><h2>Section</h2><p>${paragraph}</p><p>${paragraph}</p>`;
    const { markdown, title } = await htmlToMarkdown(html, "https://example.com/");
    expect(title).toBe("Bare page");
    expect(markdown).toContain("## Section");
    expect(markdown).toContain(paragraph.trim());
    expect(markdown).not.toContain("NAV_MARKER");
    expect(markdown).not.toContain("Bare page");
  });

  it("resolves links against <base href>, drops javascript: links and inline data: images", async () => {
    const html =
      '<html><head><base href="/docs/v2/"></head><body>' +
      '<p><a href="intro.html">Intro</a> <a href="javascript:void(0)">Menu</a> <a href="#top">Top</a></p>' +
      '<p><img src="data:image/png;base64,AAAA" alt="Chart of prices"><img src="data:image/png;base64,BBBB"></p></body></html>';
    const { markdown } = await htmlToMarkdown(html, "https://example.com/page");
    expect(markdown).toContain("[Intro](https://example.com/docs/v2/intro.html)");
    expect(markdown).toContain("Menu");
    expect(markdown).not.toContain("javascript:");
    expect(markdown).toContain("[Top](https://example.com/docs/v2/#top)");
    expect(markdown).toContain("[image: Chart of prices]");
    expect(markdown).not.toContain("base64");
  });

  it("survives table cells found outside any table (inside SVG or MathML)", async () => {
    const svg = await htmlToMarkdown("<p>Before</p><svg><td>drawn cell</td></svg>", "https://example.com/");
    expect(svg.markdown).toBe("Before");
    const math = await htmlToMarkdown("<p>Before</p><math><mrow><th>n</th><td>2</td></mrow></math>", "https://example.com/");
    expect(math.markdown).toBe("Before\n\nn 2");
  });

  it("converts a table in time linear in its rows (the GFM plugin re-walked the table for each row)", { timeout: 20_000 }, async () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => `<tr><td>${i}</td><td align="right">${i * 7}</td></tr>`).join("");
    const started = Date.now();
    const { markdown } = await htmlToMarkdown(`<table><thead><tr><th>n</th><th>7n</th></tr></thead><tbody>${rows(4_000)}</tbody></table>`, "https://example.com/");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(markdown.startsWith("| n   | 7n  |\n| --- | ---: |\n| 0   | 0   |\n")).toBe(true);
    expect(markdown.endsWith("\n| 3999 | 27993 |")).toBe(true);
  });

  it("returns no title when the page has none", async () => {
    const { markdown, title } = await htmlToMarkdown("<p>Hello</p>", "https://example.com/");
    expect(markdown).toBe("Hello");
    expect(title).toBeUndefined();
  });
});
