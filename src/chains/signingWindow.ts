/**
 * How long an authorization we sign stays valid. A signed authorization can be settled by
 * anyone holding it until it expires, so the window is kept short whatever the server asks:
 * `maxTimeoutSeconds` of 0, negative or a year all land inside these bounds.
 */
export const MIN_VALIDITY_SECONDS = 30;
export const MAX_VALIDITY_SECONDS = 600;

export function signingWindowSeconds(requested: number): number {
  if (!Number.isFinite(requested)) return MIN_VALIDITY_SECONDS;
  return Math.min(MAX_VALIDITY_SECONDS, Math.max(MIN_VALIDITY_SECONDS, Math.trunc(requested)));
}
