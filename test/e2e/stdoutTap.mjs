// Preloaded into the server under test (NODE_OPTIONS=--import) to copy every byte it writes
// to stdout into a file, so tests can search the raw JSON-RPC stream for secrets.
import { appendFileSync } from "node:fs";

const tap = process.env.X402_TEST_STDOUT_TAP;
if (tap) {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    appendFileSync(tap, typeof chunk === "string" ? chunk : Buffer.from(chunk));
    return write(chunk, ...rest);
  };
}
