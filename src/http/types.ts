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
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  header(name: string): string | undefined;
}
