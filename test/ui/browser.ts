import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium; CHROMIUM_BIN overrides. playwright-core drives it and downloads nothing. */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/**
 * Where the tests write their screenshots: test-results/screenshots (gitignored) on every
 * run; docs/screenshots, the committed ones the README shows, only with UPDATE_SCREENSHOTS=1.
 */
export const SCREENSHOTS = resolve(import.meta.dirname, "../..", process.env.UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : "test-results/screenshots");

const INSTALL = "apt-get install -y --no-install-recommends chromium";

/**
 * Starts the real browser. When it is missing, root installs Debian's package (npm test does
 * what .ci/run does); anyone else gets the command to run. These tests never skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM) && process.getuid?.() === 0 && !process.env.CHROMIUM_BIN) {
    // Another test file may be installing it at the same moment: wait for dpkg's lock.
    const apt = (...args: string[]) => execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", ...args], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    try {
      apt("install", "-y", "-qq", "--no-install-recommends", "chromium");
    } catch {
      apt("update", "-qq");
      apt("install", "-y", "-qq", "--no-install-recommends", "chromium");
    }
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: these tests need a real browser. Install it with: sudo ${INSTALL} (or set CHROMIUM_BIN to a Chromium binary).`);
  }
  // As root (CI containers) Chromium refuses to start without --no-sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = resolve(SCREENSHOTS, name);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}
