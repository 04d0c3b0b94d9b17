/**
 * ISO 8601 durations for lifetimes: the supported subset and what is refused.
 */
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';

describe('ISO 8601 durations (config lifetimes)', () => {
  it.each([
    ['PT1S', 1],
    ['PT10M', 600],
    ['PT1H', 3_600],
    ['PT1H30M', 5_400],
    ['P1D', 86_400],
    ['P1DT12H', 129_600],
    ['P2W', 1_209_600],
    ['P1W2DT3H4M5S', 604_800 + 2 * 86_400 + 3 * 3_600 + 4 * 60 + 5],
    ['P90D', 7_776_000],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([
    ['1h', 'a bare unit'],
    ['3600', 'a bare number'],
    ['P', 'no amount'],
    ['PT', 'no time amount'],
    ['P1DT', 'a dangling T'],
    ['PT0S', 'zero'],
    ['P0D', 'zero days'],
    ['PT1.5H', 'a fraction'],
    ['-PT1H', 'a negative duration'],
    ['P1Y', 'years (length varies)'],
    ['P1M', 'months (length varies)'],
    ['pt1h', 'lower case'],
    [' PT1H', 'leading space'],
    ['', 'empty text'],
  ])('refuses %j (%s)', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
