const TEXTUAL = /^(text\/|application\/(json|ld\+json|problem\+json|xml|xhtml\+xml|javascript|x-www-form-urlencoded|.*\+json|.*\+xml)|image\/svg\+xml)/i;

/** The body as text for the model; binary content is described, never dumped as mojibake. */
export function bodyText(body: Buffer, contentType: string | undefined): string {
  if (body.length === 0) return "";
  if (!contentType || TEXTUAL.test(contentType.trim())) return body.toString("utf8");
  return `[binary content: ${body.length} bytes of ${contentType.split(";")[0]?.trim()}; not shown as text]`;
}
