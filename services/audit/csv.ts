// CSV as RFC 4180 writes it: comma-separated, CRLF line ends, a field quoted when it holds a comma,
// a double quote, CR or LF, and quotes inside doubled. Text is UTF-8 without a byte-order mark: the
// open-data validators (validata.fr) and most tools read the header correctly only without one.

const needsQuoting = /[",\r\n]/;

/**
 * A spreadsheet opening the file takes a cell starting with = + - @ (or a tab or CR) for a formula:
 * a porteur naming its association `=HYPERLINK(…)` would run code on the auditor's machine. Such text
 * is written after an apostrophe, as OWASP's « CSV injection » advice says; numbers (`-150.00`) are
 * left alone, they are what the cell should hold.
 */
const formulaStart = /^[=+\-@\t\r]/;
const plainNumber = /^[+-]?\d+(?:\.\d+)?$/;

/** One field, defused if a spreadsheet would run it, quoted only when it has to be. */
export function csvField(value: string): string {
  const text = formulaStart.test(value) && !plainNumber.test(value) ? `'${value}` : value;
  return needsQuoting.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, with its CRLF. */
export const csvRecord = (fields: readonly string[]): string => fields.map(csvField).join(',') + '\r\n';

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
