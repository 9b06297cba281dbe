/**
 * An RPC URL as it may be shown (tool output, doctor, logs, error messages): scheme, host and
 * port. Hosted RPCs carry their credentials in every other part: a user and password, the
 * path (Infura's /v3/KEY, Alchemy's /v2/KEY) or the query (?apikey=), so all of it goes, and
 * "/…" says something was left out.
 */
export function redactRpcUrl(rpcUrl: string): string {
  const url = URL.canParse(rpcUrl) ? new URL(rpcUrl) : undefined;
  // What is not an http(s) URL cannot be split into parts safe to show.
  if (url?.protocol !== "http:" && url?.protocol !== "https:") return "(an RPC URL that is not http:// or https://)";
  const hidden = url.username !== "" || url.password !== "" || url.pathname.length > 1 || url.search !== "" || url.hash !== "";
  return `${url.protocol}//${url.host}${hidden ? "/…" : ""}`;
}
