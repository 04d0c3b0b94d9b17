/**
 * ISO 8601 durations (the subset used for lifetimes: PnDTnHnMnS and PnW) to seconds.
 * @spec https://en.wikipedia.org/wiki/ISO_8601#Durations
 */

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Returns seconds, or undefined when the text is not a supported non-zero duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  // "P" and "PT" alone match the pattern but name no amount.
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match.map((part) => Number(part ?? 0));
  const total = weeks * 604_800 + days * 86_400 + hours * 3_600 + minutes * 60 + seconds;
  return total > 0 ? total : undefined;
}
