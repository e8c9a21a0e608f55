// The instant an auditor's « état à une date » asks for, from a date and an optional time of day on
// the Paris clock (the business calendar of the contrat de ville), and that instant said back. No
// dependency (Intl only): test/console/instants.unit.spec.ts runs it as it is.
//
// A date alone is sent as it is: the API reads it as the end of that day in Paris (23:59:59.999,
// services/audit/asOf.ts resolveInstant). A time typed counts to the end of its second, the way the
// page shows event times (« 14:05:23 », milliseconds hidden): asked at 14:05:23, an event recorded at
// 14:05:23.456 is in the state, as it is at the end of a day asked alone.

const parisWall = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The Paris wall clock of an instant, as the parts of a date and a time. */
function wallOf(ms) {
  /** @type {Record<string, string>} */
  const parts = {};
  for (const p of parisWall.formatToParts(new Date(ms))) parts[p.type] = p.value;
  return parts;
}

/** Minutes Paris is ahead of UTC at the instant `ms` (60 in winter, 120 in summer). */
function parisOffsetMinutes(ms) {
  const p = wallOf(ms);
  const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
}

const civilPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const timePattern = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * The instant (ISO 8601, UTC) at the end of the second `time` (« 14:05 » or « 14:05:23 ») of the day
 * `date` (« 2027-05-12 ») in Paris; null when either does not read as one. An hour the clocks skip
 * (02:30 on the last Sunday of March) comes out an hour later, one they repeat (02:30 on the last
 * Sunday of October) as its second occurrence: the result's heading says which instant was used.
 * @param {string} date @param {string} time
 * @returns {string | null}
 */
export function parisInstantAt(date, time) {
  const d = civilPattern.exec(String(date ?? ''));
  const t = timePattern.exec(String(time ?? ''));
  if (!d || !t) return null;
  const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [hour, minute, second] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const noon = new Date(Date.UTC(year, month - 1, day, 12));
  if (noon.getUTCFullYear() !== year || noon.getUTCMonth() !== month - 1 || noon.getUTCDate() !== day)
    return null;
  // The wall time read as UTC, then moved by Paris's offset: taken once at a first guess, then at the
  // instant it gives (the two differ only within the hours the clocks change).
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const first = wall - parisOffsetMinutes(wall) * 60_000;
  const instant = wall - parisOffsetMinutes(first) * 60_000;
  return new Date(instant + 999).toISOString();
}

/**
 * What the as-of routes are sent as `at`: the date alone when no time is given (the end of that day
 * in Paris), else the instant at the end of the second typed; null when unreadable.
 * @param {{ date: string, time: string }} asked
 * @returns {string | null}
 */
export function asOfParameter({ date, time }) {
  if (!civilPattern.test(String(date ?? ''))) return null;
  return String(time ?? '').trim() === '' ? date : parisInstantAt(date, String(time).trim());
}

/**
 * An instant on the Paris clock: its day (« 2027-05-12 »), its time to the second (« 14:05:23 ») and
 * whether it is the end of that day (23:59:59.999, what a date alone is read as).
 * @param {string} instant
 * @returns {{ day: string, clock: string, endOfDay: boolean } | null}
 */
export function parisClockOf(instant) {
  const ms = new Date(String(instant ?? '')).getTime();
  if (Number.isNaN(ms)) return null;
  const p = wallOf(ms);
  const clock = `${p.hour}:${p.minute}:${p.second}`;
  return {
    day: `${p.year}-${p.month}-${p.day}`,
    clock,
    endOfDay: clock === '23:59:59' && new Date(ms).getUTCMilliseconds() === 999,
  };
}
