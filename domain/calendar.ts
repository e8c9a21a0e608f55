// Pure calendar arithmetic for the business calendar (Europe/Paris), without the Date global:
// instants are ISO strings parsed by hand into epoch milliseconds, civil dates are 'YYYY-MM-DD'
// strings, and the Paris offset comes from Intl (which accepts epoch numbers), so the same code
// runs in the Temporal sandbox, the API and an auditor's replay with the same results.
import { z } from 'zod';

/** An ISO 8601 instant with an offset ('2027-03-15T09:30:00Z', '2027-03-15T10:30:00+01:00'). */
export const instantSchema = z.iso.datetime({
  offset: true,
  error:
    'date et heure invalides : attendues au format ISO 8601 avec fuseau (par exemple 2027-01-10T09:30:00+01:00)',
});
/** A civil date, 'YYYY-MM-DD', checked against the real calendar (no 30 February). */
// Said with the format expected: zod's « date ISO invalide » left a person to guess it.
export const civilDateSchema = z.iso.date({
  error: 'date invalide : attendue au format AAAA-MM-JJ, un jour du calendrier (par exemple 2027-01-10)',
});

export type Instant = string;
export type CivilDate = string;

export const PARIS_TIME_ZONE = 'Europe/Paris';
const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

// Howard Hinnant's days-from-civil: days since 1970-01-01 in the proleptic Gregorian calendar.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z0 = days + 719_468;
  const era = Math.floor(z0 / 146_097);
  const doe = z0 - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const INSTANT_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;

/** Epoch milliseconds of an ISO instant. Throws on a malformed string (schemas run first). */
export function toEpochMs(instant: Instant): number {
  const m = INSTANT_PATTERN.exec(instant);
  if (!m) throw new Error(`Instant ISO invalide : ${instant}`);
  const [, y, mo, d, h, mi, s, frac, zone, sign, oh, om] = m;
  const days = daysFromCivil(Number(y), Number(mo), Number(d));
  const millis = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const local =
    days * MS_PER_DAY + Number(h) * 3_600_000 + Number(mi) * MS_PER_MINUTE + Number(s ?? 0) * 1000;
  const offsetMinutes = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  return local + millis - offsetMinutes * MS_PER_MINUTE;
}

/** The canonical form used in events: UTC, milliseconds, 'Z' (as Date#toISOString prints it). */
export function fromEpochMs(ms: number): Instant {
  const days = Math.floor(ms / MS_PER_DAY);
  const rest = ms - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const h = Math.floor(rest / 3_600_000);
  const mi = Math.floor((rest % 3_600_000) / MS_PER_MINUTE);
  const s = Math.floor((rest % MS_PER_MINUTE) / 1000);
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(rest % 1000, 3)}Z`;
}

export const normalizeInstant = (instant: Instant): Instant => fromEpochMs(toEpochMs(instant));

/** Negative when a is before b, 0 when equal, positive after (offsets taken into account). */
export const compareInstants = (a: Instant, b: Instant): number => toEpochMs(a) - toEpochMs(b);
export const isBefore = (a: Instant, b: Instant): boolean => compareInstants(a, b) < 0;

const parisParts = new Intl.DateTimeFormat('en-US', {
  timeZone: PARIS_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function parisWallClock(ms: number): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
} {
  const parts: Record<string, number> = {};
  for (const p of parisParts.formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
  };
}

// Paris changes offset only on whole UTC hours (01:00 UTC since 1996), so the offset is constant
// within a UTC hour: memoising it per hour keeps Intl (the slow part) off the hot path. A cache of
// a pure function's results cannot change any answer; it is bounded so a long-lived worker does
// not grow it forever.
const offsetByUtcHour = new Map<number, number>();

/** Offset of Paris from UTC at that instant, in minutes (60 in winter, 120 in summer). */
export function parisOffsetMinutes(ms: number): number {
  const hour = Math.floor(ms / 3_600_000);
  const cached = offsetByUtcHour.get(hour);
  if (cached !== undefined) return cached;
  const at = hour * 3_600_000;
  const w = parisWallClock(at);
  const wallMs =
    daysFromCivil(w.year, w.month, w.day) * MS_PER_DAY + w.hour * 3_600_000 + w.minute * MS_PER_MINUTE;
  const offset = Math.round((wallMs - at) / MS_PER_MINUTE);
  if (offsetByUtcHour.size > 50_000) offsetByUtcHour.clear();
  offsetByUtcHour.set(hour, offset);
  return offset;
}

/** The Paris civil date of an instant. */
export function parisDateOf(instant: Instant): CivilDate {
  const ms = toEpochMs(instant);
  const { year, month, day } = civilFromDays(
    Math.floor((ms + parisOffsetMinutes(ms) * MS_PER_MINUTE) / MS_PER_DAY),
  );
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** The instant at which Paris wall clocks show that date and time ('HH:MM'; never in a DST gap here). */
export function parisInstant(date: CivilDate, time = '00:00'): Instant {
  const [y, m, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const wall =
    daysFromCivil(y ?? 0, m ?? 0, d ?? 0) * MS_PER_DAY + (h ?? 0) * 3_600_000 + (mi ?? 0) * MS_PER_MINUTE;
  const first = wall - parisOffsetMinutes(wall) * MS_PER_MINUTE;
  const second = wall - parisOffsetMinutes(first) * MS_PER_MINUTE;
  return fromEpochMs(second);
}

/**
 * The business time of an act dated `date` and recorded at `at`: the start of that Paris day when
 * the act is from an earlier day (its hour is not known; the act holds from its day on), nothing
 * when it is from the day it is recorded (the record's own instant is then the closest known).
 */
export function actedOn(date: CivilDate, at: Instant): Instant | undefined {
  return date < parisDateOf(at) ? parisInstant(date) : undefined;
}

/** Start of the Paris day after `date`: the instant a deadline "until that date" has passed. */
export const endOfParisDay = (date: CivilDate): Instant => parisInstant(addDays(date, 1));

function splitDate(date: CivilDate): { year: number; month: number; day: number } {
  const [year, month, day] = date.split('-').map(Number);
  return { year: year ?? 0, month: month ?? 0, day: day ?? 0 };
}

function joinDate(year: number, month: number, day: number): CivilDate {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

const daysInMonth = (year: number, month: number): number =>
  daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) -
  daysFromCivil(year, month, 1);

export function addDays(date: CivilDate, days: number): CivilDate {
  const { year, month, day } = splitDate(date);
  const c = civilFromDays(daysFromCivil(year, month, day) + days);
  return joinDate(c.year, c.month, c.day);
}

/** Adds months, clamping to the end of a shorter month (31 January + 1 month = 28/29 February). */
export function addMonths(date: CivilDate, months: number): CivilDate {
  const { year, month, day } = splitDate(date);
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  const mo = index - y * 12 + 1;
  return joinDate(y, mo, Math.min(day, daysInMonth(y, mo)));
}

export const addYears = (date: CivilDate, years: number): CivilDate => addMonths(date, 12 * years);

/**
 * Months later by the month-end convention: the same day of the month (clamped to a shorter month),
 * and a month's last day gives the target month's last day (28 February + 6 months = 31 August,
 * 30 December + 6 months = 30 June).
 */
export function addMonthsToMonthEnd(date: CivilDate, months: number): CivilDate {
  const { year, month, day } = splitDate(date);
  const later = addMonths(date, months);
  if (day !== daysInMonth(year, month)) return later;
  const target = splitDate(later);
  return joinDate(target.year, target.month, daysInMonth(target.year, target.month));
}

/** Days from a to b (positive when b is later). */
export function daysBetween(a: CivilDate, b: CivilDate): number {
  const x = splitDate(a);
  const y = splitDate(b);
  return daysFromCivil(y.year, y.month, y.day) - daysFromCivil(x.year, x.month, x.day);
}

const frenchLongDate = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});

/** '15 mars 2027', '1er mars 2027' (French writes the ordinal for the first of the month). */
export function formatFrenchDate(date: CivilDate): string {
  const { year, month, day } = splitDate(date);
  const text = frenchLongDate.format(daysFromCivil(year, month, day) * MS_PER_DAY + 12 * 3_600_000);
  return day === 1 ? text.replace(/^1 /, '1er ') : text;
}

/** The Paris date of an instant, in French words. */
export const formatFrenchInstantDate = (instant: Instant): string => formatFrenchDate(parisDateOf(instant));

/**
 * Until when a window closing at `closesAt` is open, in French: « jusqu'au 24 février 2027 inclus »
 * when it closes at midnight in Paris (the usual case: the day before is its last), else « jusqu'au
 * 25 février 2027 à 17 h 30 ». « Clôture le 25 février » read as the 25th being the last day.
 */
export function formatFrenchUntil(closesAt: Instant): string {
  const ms = toEpochMs(closesAt);
  const wallMs = ms + parisOffsetMinutes(ms) * MS_PER_MINUTE;
  const intoDay = ((wallMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
  const date = parisDateOf(closesAt);
  if (intoDay === 0) return `jusqu'au ${formatFrenchDate(addDays(date, -1))} inclus`;
  const hours = Math.floor(intoDay / 3_600_000);
  const minutes = Math.floor((intoDay % 3_600_000) / MS_PER_MINUTE);
  return `jusqu'au ${formatFrenchDate(date)} à ${hours} h ${pad(minutes)}`;
}
