import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { renderBody, type RenderBodyArgs } from "../../src/content/renderBody.js";

const article = readFileSync(new URL("./fixtures/article.html", import.meta.url));
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5c2f1d70000000049454e44ae426082", "hex");

const render = (body: Buffer | string, contentType: string | undefined, more: Partial<RenderBodyArgs> = {}) =>
  renderBody({
    body: typeof body === "string" ? Buffer.from(body) : body,
    contentType,
    url: "https://news.example.com/2026/03/x402.html",
    raw: false,
    maxImageBytes: 1024,
    ...more,
  });

/** A price list as a shop or an API index might publish it: one header row, then `rows` rows of three cells. */
const priceTable = (rows: number) =>
  "<html><head><title>Prices</title></head><body><table><thead><tr><th>id</th><th>name</th><th>price</th></tr></thead><tbody>" +
  Array.from({ length: rows }, (_, i) => `<tr><td>${i}</td><td>item &amp; ${i}</td><td>0.0${i % 10}</td></tr>`).join("") +
  "</tbody></table></body></html>";

describe("renderBody", () => {
  it("turns HTML into markdown headed by the page title", async () => {
    const rendered = await render(article, "text/html; charset=utf-8");
    expect(rendered.kind).toBe("text");
    if (rendered.kind !== "text") return;
    expect(rendered.format).toBe("markdown");
    expect(rendered.text.startsWith("# Paying for APIs with x402\n\nThe HTTP status code 402")).toBe(true);
    expect(rendered.text).not.toContain("<p>");
    expect(rendered.text).not.toContain("AD_SIDEBAR_MARKER");
  });

  it("converts off the calling thread: Readability and Turndown never load on it", async () => {
    expect((await render(article, "text/html")).kind).toBe("text");
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((path) => /\/node_modules\/(turndown|@mozilla\/readability|@joplin\/turndown-plugin-gfm)\//.test(path))).toEqual([]);
  });

  it("treats application/xhtml+xml as HTML", async () => {
    const rendered = await render("<html><body><p>Hello <em>there</em></p></body></html>", "application/xhtml+xml");
    expect(rendered).toEqual({ kind: "text", text: "Hello _there_", format: "markdown" });
  });

  it("returns the HTML source untouched in raw mode", async () => {
    const rendered = await render(article, "text/html", { raw: true });
    expect(rendered).toEqual({ kind: "text", text: article.toString("utf8"), format: "raw" });
  });

  it("returns the source of a page the converter cannot handle rather than nothing", async () => {
    // Turndown's parser loses its root element on a <frameset> page and throws.
    const page = '<html><frameset cols="50%,50%"><frame src="a.html"><frame src="b.html"></frameset></html>';
    expect(await render(page, "text/html")).toEqual({ kind: "text", text: page, format: "raw" });
  });

  it("converts a 4 000-row table in seconds, not a minute", { timeout: 15_000 }, async () => {
    const rendered = await render(priceTable(4_000), "text/html");
    expect(rendered.kind === "text" && rendered.format).toBe("markdown");
    if (rendered.kind !== "text") return;
    expect(rendered.text.startsWith("# Prices\n\n| id  | name | price |\n| --- | --- | --- |\n| 0   | item & 0 | 0.00 |\n")).toBe(true);
    expect(rendered.text.endsWith("| 3999 | item & 3999 | 0.09 |")).toBe(true);
  });

  it("gives a page with too many elements to convert as plain text under a note, at once", { timeout: 15_000 }, async () => {
    const started = Date.now();
    const rendered = await render(priceTable(20_000), "text/html");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(rendered.kind === "text" && rendered.format).toBe("text");
    if (rendered.kind !== "text") return;
    const note = "[Not converted to markdown: the page has over 50000 elements, more than this server converts. Its plain text follows.]";
    expect(rendered.text.startsWith(`${note}\n\nPrices\n\nid name price\n0 item & 0 0.00\n1 item & 1 0.01\n`)).toBe(true);
    expect(rendered.text.endsWith("\n19998 item & 19998 0.08\n19999 item & 19999 0.09")).toBe(true);
  });

  it("gives empty markdown for an empty HTML body", async () => {
    expect(await render("", "text/html")).toEqual({ kind: "text", text: "", format: "markdown" });
  });

  it("pretty-prints JSON with two spaces, keeping big numbers exact", async () => {
    const rendered = await render('{"amount":12345678901234567890,"ok":true,"tags":["a"]}', "application/json");
    expect(rendered).toEqual({
      kind: "text",
      text: '{\n  "amount": 12345678901234567890,\n  "ok": true,\n  "tags": [\n    "a"\n  ]\n}',
      format: "json",
    });
  });

  it("recognises +json types and leaves raw JSON alone", async () => {
    const problem = await render('{"title":"Not found"}', "application/problem+json");
    expect(problem).toEqual({ kind: "text", text: '{\n  "title": "Not found"\n}', format: "json" });
    const raw = await render('{"a":1}', "application/json", { raw: true });
    expect(raw).toEqual({ kind: "text", text: '{"a":1}', format: "raw" });
  });

  it("shows invalid JSON as plain text", async () => {
    const rendered = await render("{not json", "application/json");
    expect(rendered).toEqual({ kind: "text", text: "{not json", format: "text" });
  });

  it("passes other text types through, SVG included", async () => {
    expect(await render("a,b\n1,2\n", "text/csv")).toEqual({ kind: "text", text: "a,b\n1,2\n", format: "text" });
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>';
    expect(await render(svg, "image/svg+xml")).toEqual({ kind: "text", text: svg, format: "text" });
  });

  it("decodes the charset the content type names", async () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x31, 0x30, 0xa3]); // "café 10£" in ISO-8859-1
    expect(await render(latin1, "text/plain; charset=ISO-8859-1")).toEqual({ kind: "text", text: "café 10£", format: "text" });
    expect(await render(latin1, 'text/plain; charset="latin1"')).toEqual({ kind: "text", text: "café 10£", format: "text" });
    const utf16 = Buffer.from("héllo ✓", "utf16le");
    expect(await render(utf16, "text/plain; charset=utf-16le")).toEqual({ kind: "text", text: "héllo ✓", format: "text" });
  });

  it("falls back to UTF-8 for an unknown charset, and finds an HTML page's <meta charset>", async () => {
    expect(await render("naïve", "text/plain; charset=no-such-charset")).toEqual({ kind: "text", text: "naïve", format: "text" });
    const page = Buffer.concat([
      Buffer.from('<html><head><meta charset="iso-8859-1"></head><body><p>'),
      Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      Buffer.from("</p></body></html>"),
    ]);
    expect(await render(page, "text/html")).toEqual({ kind: "text", text: "café", format: "markdown" });
  });

  it("returns a small PNG as an image with its bytes in base64", async () => {
    const rendered = await render(PNG, "image/png");
    expect(rendered).toEqual({ kind: "image", mimeType: "image/png", base64: PNG.toString("base64"), bytes: PNG.length });
    if (rendered.kind === "image") expect(Buffer.from(rendered.base64, "base64").equals(PNG)).toBe(true);
  });

  it("names an image by its bytes, not by a wrong label", async () => {
    const rendered = await render(PNG, "image/jpeg");
    expect(rendered.kind === "image" && rendered.mimeType).toBe("image/png");
  });

  it("keeps an image over maxImageBytes out as binary", async () => {
    const rendered = await render(PNG, "image/png", { maxImageBytes: PNG.length - 1 });
    expect(rendered).toEqual({ kind: "binary", mimeType: "image/png", bytes: PNG.length, body: PNG });
  });

  it("keeps image types model APIs refuse, and image labels on non-images, as binary", async () => {
    const tiff = Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]);
    expect(await render(tiff, "image/tiff")).toMatchObject({ kind: "binary", mimeType: "image/tiff", bytes: 8 });
    expect(await render("<html>error</html>", "image/png")).toMatchObject({ kind: "binary", mimeType: "image/png" });
  });

  it("keeps application/octet-stream as binary, even when it happens to be text", async () => {
    const body = Buffer.from("plain words");
    expect(await render(body, "application/octet-stream")).toEqual({ kind: "binary", mimeType: "application/octet-stream", bytes: 11, body });
    expect(await render(Buffer.from([1, 2, 3]), "application/pdf")).toMatchObject({ kind: "binary", mimeType: "application/pdf", bytes: 3 });
  });

  describe("without a content type", () => {
    it("shows valid UTF-8 as text", async () => {
      expect(await render("héllo, world", undefined)).toEqual({ kind: "text", text: "héllo, world", format: "text" });
    });

    it("recognises a PNG by its magic bytes", async () => {
      expect(await render(PNG, undefined)).toMatchObject({ kind: "image", mimeType: "image/png", bytes: PNG.length });
    });

    it("recognises JPEG, GIF and WebP", async () => {
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
      const gif = Buffer.from("GIF89a\x01\x00", "latin1");
      const webp = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x24, 0, 0, 0]), Buffer.from("WEBPVP8 ")]);
      expect(await render(jpeg, undefined)).toMatchObject({ kind: "image", mimeType: "image/jpeg" });
      expect(await render(gif, undefined)).toMatchObject({ kind: "image", mimeType: "image/gif" });
      expect(await render(webp, undefined)).toMatchObject({ kind: "image", mimeType: "image/webp" });
    });

    it("keeps bytes with NULs or invalid UTF-8 as binary", async () => {
      expect(await render(Buffer.from([0x61, 0x00, 0x62]), undefined)).toMatchObject({ kind: "binary", mimeType: "application/octet-stream", bytes: 3 });
      expect(await render(Buffer.from([0xc3, 0x28]), undefined)).toMatchObject({ kind: "binary", mimeType: "application/octet-stream" });
    });

    it("treats a malformed content type as missing", async () => {
      expect(await render("just text", "garbage")).toEqual({ kind: "text", text: "just text", format: "text" });
    });
  });
});
