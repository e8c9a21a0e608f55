// The pure calendar must agree with Date and Intl (which the domain may not call directly).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  addMonthsToMonthEnd,
  addYears,
  daysBetween,
  endOfParisDay,
  formatEuros,
  formatFrenchDate,
  formatFrenchInstantDate,
  formatFrenchUntil,
  fromEpochMs,
  normalizeInstant,
  parisDateOf,
  parisInstant,
  parisOffsetMinutes,
  sumCents,
  toEpochMs,
} from '../../domain';
import { plain } from './support/gwt';

const instantMs = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) });

describe('instants without Date', () => {
  it('prints an instant like Date#toISOString', () => {
    fc.assert(
      fc.property(instantMs, (ms) => fromEpochMs(ms) === new Date(ms).toISOString()),
      { numRuns: 1000 },
    );
  });

  it('parses ISO instants with any offset like Date.parse', () => {
    const offset = fc.tuple(
      fc.constantFrom('+', '-'),
      fc.integer({ min: 0, max: 14 }),
      fc.constantFrom(0, 30, 45),
    );
    fc.assert(
      fc.property(instantMs, offset, (ms, [sign, h, m]) => {
        const shift = (sign === '+' ? 1 : -1) * (h * 60 + m) * 60_000;
        const local = new Date(ms + shift).toISOString().slice(0, 23);
        const iso = `${local}${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
        return toEpochMs(iso) === Date.parse(iso) && toEpochMs(iso) === ms;
      }),
      { numRuns: 1000 },
    );
    expect(normalizeInstant('2027-03-15T10:30:00+01:00')).toBe('2027-03-15T09:30:00.000Z');
    expect(toEpochMs('2027-03-15T09:30Z')).toBe(Date.parse('2027-03-15T09:30:00Z'));
  });
});

describe('Paris business calendar', () => {
  it('knows winter and summer time, switching on the last Sundays of March and October', () => {
    expect(parisOffsetMinutes(Date.parse('2027-03-28T00:59:59Z'))).toBe(60);
    expect(parisOffsetMinutes(Date.parse('2027-03-28T01:00:00Z'))).toBe(120);
    expect(parisOffsetMinutes(Date.parse('2027-10-31T00:59:59Z'))).toBe(120);
    expect(parisOffsetMinutes(Date.parse('2027-10-31T01:00:00Z'))).toBe(60);
  });

  it('agrees with Intl on the Paris date of any instant', () => {
    const intl = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Paris',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    fc.assert(
      fc.property(instantMs, (ms) => parisDateOf(new Date(ms).toISOString()) === intl.format(ms)),
      { numRuns: 1000 },
    );
  });

  it('turns a Paris wall-clock time into an instant, and a due date into the end of that day', () => {
    expect(parisInstant('2027-03-15')).toBe('2027-03-14T23:00:00.000Z');
    expect(parisInstant('2027-07-01', '09:00')).toBe('2027-07-01T07:00:00.000Z');
    expect(endOfParisDay('2027-03-15')).toBe('2027-03-15T23:00:00.000Z');
    expect(endOfParisDay('2028-06-30')).toBe('2028-06-30T22:00:00.000Z');
    expect(endOfParisDay('2027-03-27')).toBe('2027-03-27T23:00:00.000Z'); // the night the clocks go forward
    expect(parisDateOf('2027-12-31T23:30:00Z')).toBe('2028-01-01');
  });

  it('adds days, months and years to civil dates, clamping month ends', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2027-11-15', 3)).toBe('2028-02-15');
    expect(addYears('2028-02-29', 1)).toBe('2029-02-28');
    expect(daysBetween('2027-01-01', '2028-01-01')).toBe(365);
  });

  it('adds months by the month-end convention: a month’s last day gives the last day of the month reached', () => {
    expect(addMonthsToMonthEnd('2027-12-31', 6)).toBe('2028-06-30');
    expect(addMonthsToMonthEnd('2027-12-30', 6)).toBe('2028-06-30');
    expect(addMonthsToMonthEnd('2027-02-28', 6)).toBe('2027-08-31');
    expect(addMonthsToMonthEnd('2028-02-28', 6)).toBe('2028-08-28');
    expect(addMonthsToMonthEnd('2027-08-30', 6)).toBe('2028-02-29');
    expect(addMonthsToMonthEnd('2027-04-30', 6)).toBe('2027-10-31');
    expect(addMonthsToMonthEnd('2027-06-14', 6)).toBe('2027-12-14');
  });

  it('writes dates in French, with the ordinal for the first of the month', () => {
    expect(formatFrenchDate('2027-03-15')).toBe('15 mars 2027');
    expect(formatFrenchDate('2027-03-01')).toBe('1er mars 2027');
    expect(formatFrenchInstantDate('2027-03-31T22:30:00Z')).toBe('1er avril 2027');
  });
});

describe('until when a window is open, in French', () => {
  it('names the day before as the last one when it closes at midnight in Paris, winter or summer', () => {
    // 0 h on 25 February (UTC+1) and on 1 July (UTC+2).
    expect(formatFrenchUntil('2027-02-24T23:00:00Z')).toBe("jusqu'au 24 février 2027 inclus");
    expect(formatFrenchUntil('2027-06-30T22:00:00.000Z')).toBe("jusqu'au 30 juin 2027 inclus");
    expect(formatFrenchUntil(endOfParisDay('2027-03-01'))).toBe("jusqu'au 1er mars 2027 inclus");
  });

  it('names the day and the time when it closes at another hour', () => {
    expect(formatFrenchUntil('2027-02-25T16:30:00Z')).toBe("jusqu'au 25 février 2027 à 17 h 30");
    expect(formatFrenchUntil('2027-03-31T21:59:59Z')).toBe("jusqu'au 31 mars 2027 à 23 h 59");
    expect(formatFrenchUntil('2027-06-30T22:00:01Z')).toBe("jusqu'au 1er juillet 2027 à 0 h 00");
  });
});

describe('money', () => {
  it('is integer cents, written the French way', () => {
    expect(plain(formatEuros(1_250_000))).toBe('12 500,00 €');
    expect(plain(formatEuros(5))).toBe('0,05 €');
    expect(sumCents([1, 2, 3])).toBe(6);
  });
});
