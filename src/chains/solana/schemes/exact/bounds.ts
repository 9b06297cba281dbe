/**
 * What the wallet puts in a Solana payment besides the transfer, as the official client does.
 * They are ours, never the server's: the fee payer pays for compute, and these are the bounds
 * the README states (a one-transfer payment needs far less than 20,000 units).
 */
export const COMPUTE_UNIT_LIMIT = 20_000;
export const COMPUTE_UNIT_PRICE_MICROLAMPORTS = 1n;
/** The memo the facilitator accepts (x402's limit); a server's `extra.memo` longer than this is refused. */
export const MAX_MEMO_BYTES = 256;
/** SPL amounts are u64. */
export const MAX_U64 = 2n ** 64n - 1n;
/**
 * A blockhash stays usable for 150 blocks (about a minute at 400 ms); the ledger counts the
 * payment as spent until this many seconds have passed, generously, since blocks can be slow.
 */
export const BLOCKHASH_LIFETIME_SECONDS = 180;
