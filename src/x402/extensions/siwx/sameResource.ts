/**
 * Whether an earlier payment for `paidUrl` bought the resource now at `requestUrl`: same
 * origin and path. The query counts only when the server's `resources` name this path with
 * a query, as that says the query is part of what it sells.
 */
export function sameResource(paidUrl: string, requestUrl: string, resources: readonly string[] | undefined): boolean {
  const paid = new URL(paidUrl);
  const requested = new URL(requestUrl);
  if (paid.origin !== requested.origin || paid.pathname !== requested.pathname) return false;
  const queryNamed = (resources ?? []).some((r) => {
    const named = URL.canParse(r) ? new URL(r) : undefined;
    return named !== undefined && named.origin === requested.origin && named.pathname === requested.pathname && named.search !== "";
  });
  return !queryNamed || paid.search === requested.search;
}
