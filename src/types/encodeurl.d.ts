/** encodeurl 2.x (express's own URL encoder for Location headers) ships no types. */
declare module 'encodeurl' {
  /** Percent-encodes what may not appear in a URL, leaving existing escapes and reserved characters alone. */
  export default function encodeUrl(url: string): string;
}
