/**
 * Bitcoin-alphabet base58, the text form of Solana keys, addresses and signatures. Written
 * here rather than taken from @solana/kit so that reading a key or checking an address
 * does not load kit (and its RPC stack) at start-up; transactions are built with kit.
 */
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const DIGIT = new Map([...ALPHABET].map((c, i) => [c, BigInt(i)]));

export const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;

export function encodeBase58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  return "1".repeat(zeros) + out;
}

/** The bytes of a base58 string, or undefined when it is not one. */
export function decodeBase58(text: string): Uint8Array | undefined {
  if (!BASE58.test(text)) return undefined;
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;
  let n = 0n;
  for (const c of text) n = n * 58n + DIGIT.get(c)!;
  const body: number[] = [];
  while (n > 0n) {
    body.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...body]);
}

/** Whether `text` is a Solana address: base58 of exactly 32 bytes. */
export function isSolanaAddress(text: string): boolean {
  return text.length >= 32 && text.length <= 44 && decodeBase58(text)?.length === 32;
}

/** Whether `text` is a transaction signature: base58 of exactly 64 bytes. */
export function isSolanaSignature(text: string): boolean {
  return text.length >= 64 && text.length <= 88 && decodeBase58(text)?.length === 64;
}
