import { describe, expect, it } from "vitest";
import { sameResource } from "../../../../src/x402/extensions/siwx/sameResource.js";

describe("whether an earlier payment bought the requested resource", () => {
  it("same origin and path; the query ignored when the server's resources name none", () => {
    expect(sameResource("http://127.0.0.1:4000/paid", "http://127.0.0.1:4000/paid", undefined)).toBe(true);
    expect(sameResource("http://127.0.0.1:4000/paid?a=1", "http://127.0.0.1:4000/paid?a=2", ["http://127.0.0.1:4000/paid"])).toBe(true);
    expect(sameResource("http://127.0.0.1:4000/paid?a=1", "http://127.0.0.1:4000/paid", [])).toBe(true);
  });

  it("another path, port, scheme or host is another resource", () => {
    expect(sameResource("http://127.0.0.1:4000/paid", "http://127.0.0.1:4000/paid/2", undefined)).toBe(false);
    expect(sameResource("http://127.0.0.1:4000/paid", "http://127.0.0.1:4001/paid", undefined)).toBe(false);
    expect(sameResource("http://127.0.0.1:4000/paid", "https://127.0.0.1:4000/paid", undefined)).toBe(false);
    expect(sameResource("http://127.0.0.1:4000/paid", "http://localhost:4000/paid", undefined)).toBe(false);
  });

  it("the query counts when the server's resources name this path with a query", () => {
    const resources = ["http://127.0.0.1:4000/paid?a=2"];
    expect(sameResource("http://127.0.0.1:4000/paid?a=2", "http://127.0.0.1:4000/paid?a=2", resources)).toBe(true);
    expect(sameResource("http://127.0.0.1:4000/paid?a=1", "http://127.0.0.1:4000/paid?a=2", resources)).toBe(false);
    expect(sameResource("http://127.0.0.1:4000/paid", "http://127.0.0.1:4000/paid?a=2", resources)).toBe(false);
    // A query named for another path, or an unparsable entry, changes nothing here.
    expect(sameResource("http://127.0.0.1:4000/paid?a=1", "http://127.0.0.1:4000/paid?a=2", ["http://127.0.0.1:4000/other?a=2", "not a url"])).toBe(true);
  });
});
