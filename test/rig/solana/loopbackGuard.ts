/**
 * Makes this process's fetch refuse anything but 127.0.0.1 and remember what was asked: the x402
 * SDKs fall back to public RPC endpoints when a network name is missing from their config, and a
 * test should fail on that, not quietly try the internet.
 */
export function guardLoopback(): { offLoopback: string[]; restore(): void } {
  const realFetch = globalThis.fetch;
  const offLoopback: string[] = [];
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname !== "127.0.0.1") {
      offLoopback.push(url.origin);
      return Promise.reject(new Error(`test: ${url.origin} is not loopback`));
    }
    return realFetch(input, init);
  };
  return { offLoopback, restore: () => void (globalThis.fetch = realFetch) };
}
