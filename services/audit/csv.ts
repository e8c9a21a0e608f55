// CSV as RFC 4180 writes it: comma-separated, CRLF line ends, a field quoted when it holds a comma,
// a double quote, CR or LF, and quotes inside doubled. Text is UTF-8 without a byte-order mark: the
// open-data validators (validata.fr) and most tools read the header correctly only without one.

const needsQuoting = /[",\r\n]/;

/**
 * A spreadsheet opening the file takes a cell starting with = + - @ (or a tab or CR) for a formula:
 * a porteur naming its association `=HYPERLINK(…)` would run code on the auditor's machine. Numbers
 * (`-150.00`) are no threat: the spreadsheet reads them as the amounts they are.
 */
const formulaStart = /^[=+\-@\t\r]/;
const plainNumber = /^[+-]?\d+(?:\.\d+)?$/;

/** Whether a spreadsheet would read this text as a formula. */
export const looksLikeFormula = (value: string): boolean =>
  formulaStart.test(value) && !plainNumber.test(value);

/** One field exactly as given, quoted only when it has to be. */
export function csvExactField(value: string): string {
  return needsQuoting.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * One field for a file people open in a spreadsheet (the ledger): text a spreadsheet would run is
 * written after an apostrophe, as OWASP's « CSV injection » advice says.
 */
export function csvField(value: string): string {
  return csvExactField(looksLikeFormula(value) ? `'${value}` : value);
}

/** One record for a spreadsheet, defused, with its CRLF. */
export const csvRecord = (fields: readonly string[]): string => fields.map(csvField).join(',') + '\r\n';

/**
 * One record whose values must reach the reader exactly (open data: « +Emploi » is the association's
 * name, not « '+Emploi »), with its CRLF. Whoever writes one warns of formula-like values instead.
 */
export const csvExactRecord = (fields: readonly string[]): string =>
  fields.map(csvExactField).join(',') + '\r\n';

/**
 * Euro cents as a decimal number of euros with a dot and two decimals ('47800.20'), the form the
 * SCDL schemas require; integer arithmetic only, so no float ever rounds an amount.
 */
export function eurosDecimal(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`Montant en centimes invalide : ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Groups small strings into chunks of about `size` characters, so a streamed export is written in a
 * few large writes rather than one syscall per line.
 */
export async function* chunked(lines: AsyncIterable<string>, size = 64 * 1024): AsyncGenerator<string> {
  let buffer = '';
  for await (const line of lines) {
    buffer += line;
    if (buffer.length >= size) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer.length > 0) yield buffer;
}
