import { afterAll, describe, expect, it } from "vitest";
import { HTML_LIMITS, HtmlConverter } from "../../src/content/htmlConverter.js";

const URL = "https://example.com/list";
/** 100 000 rows take many seconds to convert, however fast the machine. */
const table = (rows: number) => `<table><tr><th>n</th><th>square</th></tr>${Array.from({ length: rows }, (_, i) => `<tr><td>${i}</td><td>${i * i}</td></tr>`).join("")}</table>`;

describe("HtmlConverter", () => {
  const converters: HtmlConverter[] = [];
  const converter = (limits: Partial<typeof HTML_LIMITS> = {}) => {
    const created = new HtmlConverter({ ...HTML_LIMITS, ...limits });
    converters.push(created);
    return created;
  };
  afterAll(() => Promise.all(converters.map((c) => c.close())));

  it("converts pages on its worker, one at a time, each answer to its own page", async () => {
    const pages = ["<p>one</p>", "<h2>two</h2>", "<p><b>three</b></p>"];
    const shared = converter();
    const conversions = await Promise.all(pages.map((page) => shared.convert(page, URL)));
    expect(conversions.map((c) => c.outcome === "converted" && c.converted.markdown)).toEqual(["one", "## two", "**three**"]);
  });

  it("stops a page past its deadline, and converts the next page on a fresh worker", async () => {
    const fast = converter({ deadlineMs: 1_500, maxBytes: 10_000_000, maxElements: 1_000_000 });
    expect(await fast.convert("<p>warm</p>", URL)).toMatchObject({ outcome: "converted" });
    const started = Date.now();
    const slow = await fast.convert(table(100_000), URL);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(slow).toEqual({ outcome: "skipped", reason: "converting it took longer than 1.5 s" });
    // The worker was ended, not left to convert for seconds more: once it is torn down, the process idles.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(process.cpuUsage(cpu).user / 1_000).toBeLessThan(500);
    expect(await fast.convert("<p>after</p>", URL)).toEqual({ outcome: "converted", converted: { markdown: "after", title: undefined } });
  });

  it("does not count the worker's start-up in a page's deadline", async () => {
    // Loading the DOM, Readability and Turndown under the test's TypeScript loader takes far longer than 200 ms.
    const started = Date.now();
    expect(await converter({ deadlineMs: 200 }).convert("<p>first</p>", URL)).toEqual({ outcome: "converted", converted: { markdown: "first", title: undefined } });
    expect(Date.now() - started).toBeGreaterThan(200);
  });

  it("counts the wait behind another page in a page's deadline", async () => {
    const fast = converter({ deadlineMs: 1_500, maxBytes: 10_000_000, maxElements: 1_000_000 });
    expect(await fast.convert("<p>warm</p>", URL)).toMatchObject({ outcome: "converted" });
    const started = Date.now();
    const [slow, queued] = await Promise.all([fast.convert(table(100_000), URL), fast.convert("<p>queued</p>", URL)]);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(slow.outcome).toBe("skipped");
    expect(queued.outcome).toBe("skipped");
  });

  it("does not try a page over its size or element limit", async () => {
    const small = converter({ maxBytes: 1_000, maxElements: 20 });
    const started = Date.now();
    expect(await small.convert(`<p>${"x".repeat(1_500)}</p>`, URL)).toEqual({ outcome: "skipped", reason: "the page is 2 kB, over the 1 kB this server converts" });
    expect(await small.convert(table(10), URL)).toEqual({ outcome: "skipped", reason: "the page has over 20 elements, more than this server converts" });
    expect(await small.convert(table(3), URL)).toMatchObject({ outcome: "converted" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports a page the converter throws on as failed", async () => {
    const page = '<html><frameset cols="50%,50%"><frame src="a.html"><frame src="b.html"></frameset></html>';
    expect(await converter().convert(page, URL)).toEqual({ outcome: "failed" });
  });
});
