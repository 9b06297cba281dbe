import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generatedModules } from "./buildPages.js";

describe("the wallet pages shipped in src/ui/*.generated.ts", () => {
  it("are what src/ui/page/ builds to (run `npx tsx test/ui/buildPages.ts` after editing the page)", async () => {
    for (const { path, text } of await generatedModules()) expect(readFileSync(path, "utf8"), path).toBe(text);
  });

  it("are self-contained: no external script, style, image, font or frame", async () => {
    const { DASHBOARD_PAGE } = await import("../../src/ui/dashboardPage.generated.js");
    const { WALLET_APP_PAGE } = await import("../../src/ui/walletAppPage.generated.js");
    for (const page of [DASHBOARD_PAGE, WALLET_APP_PAGE]) {
      expect(page.html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)=/i);
      expect(page.html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    }
  });
});
