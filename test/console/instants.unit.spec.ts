// The instant the auditor's « état à une date » asks for (services/console/static/instants.js, the
// browser module itself, loaded in Node: it imports nothing): a date and a time of day on the Paris
// clock, winter and summer, the date alone left to the API (the end of that day), and the instant
// said back as the page's heading says it.
import { beforeAll, describe, expect, it } from 'vitest';
import { parisInstant } from '../../domain/calendar';

interface InstantsModule {
  parisInstantAt(date: string, time: string): string | null;
  asOfParameter(asked: { date: string; time: string }): string | null;
  parisClockOf(instant: string): { day: string; clock: string; endOfDay: boolean } | null;
}

let instants: InstantsModule;

beforeAll(async () => {
  // A browser file without types: imported by URL, its shape stated here.
  const url = new URL('../../services/console/static/instants.js', import.meta.url).href;
  instants = (await import(url)) as InstantsModule;
});

describe('the instant of a date and a time in Paris', () => {
  it('counts a time to the end of its second, in winter (UTC+1) and in summer (UTC+2)', () => {
    expect(instants.parisInstantAt('2027-01-15', '14:05:23')).toBe('2027-01-15T13:05:23.999Z');
    expect(instants.parisInstantAt('2027-07-15', '14:05:23')).toBe('2027-07-15T12:05:23.999Z');
    // A time without seconds (a time field whose seconds are 0 gives « 14:05 »): the second 14:05:00.
    expect(instants.parisInstantAt('2027-07-15', '14:05')).toBe('2027-07-15T12:05:00.999Z');
    expect(instants.parisInstantAt('2027-01-01', '00:00:00')).toBe('2026-12-31T23:00:00.999Z');
  });

  it('agrees with the engine’s calendar on every hour of the days the clocks change', () => {
    for (const day of ['2027-03-28', '2027-10-31', '2026-03-29', '2026-10-25'])
      for (let hour = 0; hour < 24; hour += 1) {
        const time = `${String(hour).padStart(2, '0')}:30`;
        const engine = new Date(new Date(parisInstant(day, time)).getTime() + 999).toISOString();
        expect(instants.parisInstantAt(day, time), `${day} ${time}`).toBe(engine);
      }
  });

  it('refuses what does not read as a day and a time', () => {
    for (const [date, time] of [
      ['2027-02-30', '10:00'] as const,
      ['2027-13-01', '10:00'],
      ['15/01/2027', '10:00'],
      ['2027-01-15', '24:00'],
      ['2027-01-15', '10:60'],
      ['2027-01-15', '10h00'],
      ['2027-01-15', ''],
    ])
      expect(instants.parisInstantAt(date, time), `${date} ${time}`).toBeNull();
  });

  it('sends a date alone as it is (the API reads it as the end of that day), a time as its instant', () => {
    expect(instants.asOfParameter({ date: '2027-05-12', time: '' })).toBe('2027-05-12');
    expect(instants.asOfParameter({ date: '2027-05-12', time: '  ' })).toBe('2027-05-12');
    expect(instants.asOfParameter({ date: '2027-05-12', time: '09:15:00' })).toBe('2027-05-12T07:15:00.999Z');
    expect(instants.asOfParameter({ date: '', time: '09:15' })).toBeNull();
    expect(instants.asOfParameter({ date: '2027-05-12', time: '9h15' })).toBeNull();
  });

  it('says an instant back on the Paris clock, and knows the end of a day', () => {
    // What the API answers for a date alone: 23:59:59.999 in Paris.
    expect(instants.parisClockOf('2027-05-12T21:59:59.999Z')).toEqual({
      day: '2027-05-12',
      clock: '23:59:59',
      endOfDay: true,
    });
    expect(instants.parisClockOf('2027-01-15T13:05:23.999Z')).toEqual({
      day: '2027-01-15',
      clock: '14:05:23',
      endOfDay: false,
    });
    // 23:59:59 to the second but not its end: not a date alone.
    expect(instants.parisClockOf('2027-05-12T21:59:59.000Z')?.endOfDay).toBe(false);
    expect(instants.parisClockOf('pas une date')).toBeNull();
  });
});
