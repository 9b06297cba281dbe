export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface HttpRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface HttpResponse {
  /** The URL that answered, after any redirects. */
  url: string;
  /**
   * The request that got this answer, as sent after the redirect rules (method, headers and
   * body as changed by each hop): a paid retry repeats exactly this one.
   */
  request: HttpRequest;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  header(name: string): string | undefined;
}
