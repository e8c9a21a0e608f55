// The console's reading of euros typed by a person (services/console/static/money.js, the browser
// module itself, loaded in Node: it imports nothing). « 20.000 » once became 20,00 €: French
// thousands separators (spaces of every kind, dots before three digits), the comma before cents,
// and a refusal for anything that could be read two ways.
import { beforeAll, describe, expect, it } from 'vitest';

type EurosReading = { ok: true; cents: number | null } | { ok: false; reason: string };
interface MoneyModule {
  parseEuros(text: unknown): EurosReading;
  unreadableAmount(label: string, text: unknown, reason: string): string;
}

let money: MoneyModule;

beforeAll(async () => {
  // A browser file without types: imported by URL, its shape stated here.
  const url = new URL('../../services/console/static/money.js', import.meta.url).href;
  money = (await import(url)) as MoneyModule;
});

const cents = (text: string): number | null => {
  const reading = money.parseEuros(text);
  if (!reading.ok) throw new Error(`« ${text} » refused: ${reading.reason}`);
  return reading.cents;
};
const refusal = (text: string): string => {
  const reading = money.parseEuros(text);
  if (reading.ok) throw new Error(`« ${text} » read as ${reading.cents} cents, expected a refusal`);
  return reading.reason;
};

describe('parseEuros', () => {
  it.each([
    ['20000', 2_000_000],
    ['20 000', 2_000_000],
    ['20\u00a0000', 2_000_000],
    ['20\u202f000', 2_000_000],
    ['20.000', 2_000_000],
    ['1.234.567', 123_456_700],
    ['1 234 567', 123_456_700],
    ['20 000,50', 2_000_050],
    ['20000,5', 2_000_050],
    ['1.234,56', 123_456],
    ['0,07', 7],
    ['20 000 €', 2_000_000],
    ['20 000€', 2_000_000],
    ['20 000 euros', 2_000_000],
    ['20 000 Euros', 2_000_000],
    ['1 euro', 100],
    ['  15 000  ', 1_500_000],
    ['0', 0],
    ['999', 99_900],
  ])('reads « %s » as %i cents', (text, expected) => {
    expect(cents(text)).toBe(expected);
  });

  it('reads an empty field (or only a unit) as no amount, for the form to decide', () => {
    expect(cents('')).toBeNull();
    expect(cents('   ')).toBeNull();
    expect(cents('€')).toBeNull();
  });

  it.each([
    ['20.5', /virgule/],
    ['20.50', /virgule/],
    ['1.234.56', /virgule/],
    ['20,000,00', /une seule virgule/],
    ['20,00,5', /une seule virgule/],
    ['20 000,505', /deux chiffres au plus/],
    ['12,345', /deux chiffres au plus/],
    ['20k', /chiffres/],
    ['vingt mille', /chiffres/],
    ['2O 000', /chiffres/],
    ['-500', /négatif/],
    ['20,', /après la virgule/],
    [',50', /avant la virgule/],
    ['20 00', /par trois/],
    ['2 0000', /par trois/],
    ['1 234.567', /espaces, ou tous avec des points/],
    ['1.234 567', /espaces, ou tous avec des points/],
    ['99999999999999999', /trop grand/],
  ])('refuses « %s »', (text, reason) => {
    expect(refusal(text)).toMatch(reason);
  });

  it('names the field and what was typed in its refusal', () => {
    expect(money.unreadableAmount('Coût total, année 1', ' 20.5 ', 'pour les centimes, une virgule.')).toBe(
      'Coût total, année 1 : « 20.5 » n’est pas un montant en euros lisible : pour les centimes, une virgule.',
    );
  });
});
