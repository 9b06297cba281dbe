import { setFlagsFromString } from "node:v8";

/**
 * Keeps V8's young generation at its initial size (1 MB semi-spaces) for the server's life.
 * Under node's default flags it doubles as objects survive, to two 16 MB semi-spaces after
 * the first hundred paid calls, whose pages stay resident: the largest part of the server's
 * RSS above its live heap, which is what the MCP Bundle's --max-semi-space-size=2 avoids; a
 * stdio server started by `npx` gets no flags, so it sets this itself (issue 20: 95 → 83 MB after
 * 100 paid calls, about 10 ms more CPU at start; see bench/RESULTS.md, memory). V8 reads the
 * flag each time it would grow the space, so setting it at run time takes effect; a V8 that
 * lacks it names it on stderr, never stdout.
 */
export function holdYoungGeneration(): void {
  setFlagsFromString("--semi-space-growth-factor=1");
}
