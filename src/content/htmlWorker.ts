import { Console } from "node:console";
import { parentPort } from "node:worker_threads";
import { htmlToMarkdown, type HtmlMarkdown } from "./htmlToMarkdown.js";

export type ConversionRequest = { id: number; html: string; url: string };
export type ConversionReply = { id: number; converted: HtmlMarkdown } | { id: number; failed: true } | { ready: true };

// This thread's stdout joins the server's, which is the MCP channel under stdio: what the libraries print goes to stderr.
globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });

/**
 * The thread HTML is converted on. The DOM, Readability and Turndown load here, on the first
 * HTML page, so neither the server's start-up nor its event loop pays for them: a conversion
 * that runs long delays this thread only, and the server can end it.
 */
parentPort?.on("message", ({ id, html, url }: ConversionRequest) => {
  let reply: ConversionReply;
  try {
    reply = { id, converted: htmlToMarkdown(html, url) };
  } catch {
    reply = { id, failed: true };
  }
  parentPort?.postMessage(reply);
});
// Its modules are loaded: from now on, a page's deadline measures converting, not starting up.
parentPort?.postMessage({ ready: true } satisfies ConversionReply);
