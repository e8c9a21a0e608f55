// A strict RFC 4180 reader for the tests, written apart from the writer so that one cannot hide the
// other's mistakes: records end with CRLF, quoted fields may hold commas, CRLF and doubled quotes.
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
        if (i < text.length && text[i] !== ',' && text[i] !== '\r') {
          throw new Error(`caractère après un guillemet fermant, position ${i}`);
        }
      } else {
        field += c;
        i += 1;
      }
      continue;
    }
    if (c === '"') {
      if (fieldStarted) throw new Error(`guillemet au milieu d'un champ non entouré, position ${i}`);
      quoted = true;
      fieldStarted = true;
      i += 1;
    } else if (c === ',') {
      record.push(field);
      field = '';
      fieldStarted = false;
      i += 1;
    } else if (c === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`CR sans LF, position ${i}`);
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      fieldStarted = false;
      i += 2;
    } else if (c === '\n') {
      throw new Error(`LF sans CR, position ${i}`);
    } else {
      field += c;
      fieldStarted = true;
      i += 1;
    }
  }
  if (quoted) throw new Error('guillemet non fermé');
  if (field !== '' || record.length > 0) throw new Error('dernier enregistrement sans CRLF');
  return records;
}
