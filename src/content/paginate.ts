/**
 * One window of a long text. Indices count UTF-16 code units (JavaScript string indices).
 * A start_index at or past the end gives an empty page with `pastEnd: true`, so the caller
 * can tell "nothing more to read" from "the body is empty".
 */
export type Page = {
  text: string;
  /** Where this page starts; one less than asked when the asked index fell inside a surrogate pair. */
  startIndex: number;
  /** Where the next page starts, or null when this page reaches the end. */
  nextStartIndex: number | null;
  totalLength: number;
  pastEnd: boolean;
};

/** At most `maxLength` characters of `text` from `startIndex`, never cutting an emoji (or any surrogate pair) in half. */
export function paginate(text: string, startIndex: number, maxLength: number): Page {
  if (!Number.isSafeInteger(startIndex) || startIndex < 0) throw new RangeError(`startIndex must be a non-negative integer, got ${startIndex}`);
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  const totalLength = text.length;
  if (startIndex >= totalLength) {
    return { text: "", startIndex, nextStartIndex: null, totalLength, pastEnd: startIndex > 0 };
  }
  const start = splitsPair(text, startIndex) ? startIndex - 1 : startIndex;
  let end = Math.min(start + maxLength, totalLength);
  // Shrink to keep the pair whole for the next page; grow instead when shrinking would leave this page empty.
  if (splitsPair(text, end)) end += end - 1 > start ? -1 : 1;
  return {
    text: text.slice(start, end),
    startIndex: start,
    nextStartIndex: end < totalLength ? end : null,
    totalLength,
    pastEnd: false,
  };
}

/** True when `index` falls between the two halves of a surrogate pair. */
function splitsPair(text: string, index: number): boolean {
  const before = text.charCodeAt(index - 1);
  const at = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && at >= 0xdc00 && at <= 0xdfff;
}

/** One plain line telling the model how to read on (or that it asked past the end); empty when the page is the last. */
export function pagingHint(page: Page): string {
  if (page.pastEnd) {
    return `Nothing to show: start_index=${page.startIndex} is at or past the end of the content (${page.totalLength} characters).`;
  }
  if (page.nextStartIndex === null) return "";
  return (
    `Content truncated: showing characters ${page.startIndex}–${page.nextStartIndex} of ${page.totalLength}. ` +
    `Call again with start_index=${page.nextStartIndex} to read more.`
  );
}
