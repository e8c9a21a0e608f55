// Euros typed by a person, read the French way. No imports: the unit tests load this file in Node
// (test/console/money.unit.spec.ts), the browser through lib.js.
//
// French writes « 20 000 », « 20 000,50 », « 20.000 » (a dot between thousands), « 20000,5 », with
// a no-break or narrow no-break space, sometimes « 20 000 € » or « 20 000 euros ». A comma is the
// decimal separator; a dot followed by exactly three digits groups thousands. Anything else that
// could be read two ways (« 20.50 »: twenty euros fifty, or a typo?) is refused rather than guessed:
// a misread amount is money ordered or recovered.

/**
 * @typedef {{ ok: true, cents: number | null } | { ok: false, reason: string }} EurosReading
 * `cents` is null for an empty text (the form decides whether the field may be empty).
 */

const integerPart = {
  plain: /^\d+$/,
  spaces: /^\d{1,3}( \d{3})+$/,
  dots: /^\d{1,3}(\.\d{3})+$/,
};

/**
 * @param {unknown} text
 * @returns {EurosReading}
 */
export function parseEuros(text) {
  const typed = String(text ?? '')
    // Every kind of space (no-break U+00A0, narrow no-break U+202F, thin U+2009…) counts as one.
    .replace(/[\s\u00a0\u2007\u2009\u202f]+/gu, ' ')
    .trim();
  const unitless = typed
    .replace(/\s*(€|euros?|eur)$/iu, '')
    .replace(/^€\s*/u, '')
    .trim();
  if (unitless === '') return { ok: true, cents: null };
  if (/^[-−]/u.test(unitless)) return { ok: false, reason: 'un montant ne peut pas être négatif.' };
  if (/[^\d ,.]/u.test(unitless))
    return { ok: false, reason: 'seuls des chiffres sont attendus (par exemple 20 000 ou 1 500,50).' };
  const commas = unitless.split(',').length - 1;
  if (commas > 1)
    return {
      ok: false,
      reason: 'une seule virgule est possible, avant les centimes (par exemple 1 500,50).',
    };
  const [whole = '', decimals] = unitless.split(',').map((s) => s.trim());
  if (decimals !== undefined && !/^\d{1,2}$/.test(decimals))
    return {
      ok: false,
      reason:
        decimals === ''
          ? 'des chiffres sont attendus après la virgule (par exemple 1 500,50).'
          : /^\d+$/.test(decimals)
            ? 'deux chiffres au plus après la virgule (les centimes).'
            : 'des chiffres sont attendus après la virgule (par exemple 1 500,50).',
    };
  if (whole === '') return { ok: false, reason: 'des chiffres sont attendus avant la virgule.' };
  if (whole.includes('.') && whole.includes(' '))
    return { ok: false, reason: 'écrivez les milliers tous avec des espaces, ou tous avec des points.' };
  if (whole.includes('.') && !integerPart.dots.test(whole))
    return {
      ok: false,
      reason:
        'un point ne sépare que les milliers (20.000) ; pour les centimes, écrivez une virgule (20,50).',
    };
  if (whole.includes(' ') && !integerPart.spaces.test(whole))
    return {
      ok: false,
      reason: 'les chiffres se groupent par trois à partir de la droite (par exemple 1 234 567).',
    };
  const euros = Number(whole.replace(/[ .]/g, ''));
  const cents = euros * 100 + Number((decimals ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) return { ok: false, reason: 'ce montant est trop grand.' };
  return { ok: true, cents };
}

/**
 * The French message that names the field: « Coût total, année 1 : « 20.5 » n’est pas un montant
 * en euros lisible : … ».
 * @param {string} label the field's label, as the form shows it
 * @param {unknown} text what was typed
 * @param {string} reason
 */
export const unreadableAmount = (label, text, reason) =>
  `${label} : « ${String(text).trim()} » n’est pas un montant en euros lisible : ${reason}`;
