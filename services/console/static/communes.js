// Communes as funders of a campaign: the grant manager types them one per line in the campaign
// form (« 59392 : 50 000 »), and they become funders `COMMUNE-<INSEE code>` with their envelopes.
// Checked here so that the person reads which line is wrong, in the form, before anything is sent.
import { centsOf, lines } from './lib.js';

/** INSEE commune code, as the domain's inseeCodeSchema: 5 digits, or 2A / 2B + 3 digits (Corsica). */
const inseeCode = /^(\d{5}|2[AB]\d{3})$/;

/**
 * The communes of the form's text, as campaign funders. Throws an Error whose French message names
 * the code or the envelope at fault (the form shows it as the refusal).
 * @param {string} text
 * @returns {{ funder: string, envelopeCents: number }[]}
 */
export function communeFunders(text) {
  return lines(text).map((line) => {
    const separator = line.search(/[:;=]/);
    const typed = (separator < 0 ? line : line.slice(0, separator)).trim();
    // « COMMUNE-59392 », as the API writes it, is understood too.
    const code = typed.toUpperCase().replace(/^COMMUNE-/, '');
    if (!inseeCode.test(code))
      throw new Error(
        `Code INSEE de commune invalide : « ${typed} ». Il faut 5 caractères : 5 chiffres (59392 pour Maubeuge), ou 2A / 2B puis 3 chiffres en Corse.`,
      );
    const amount = separator < 0 ? '' : line.slice(separator + 1).trim();
    if (amount === '')
      throw new Error(
        `Enveloppe manquante pour la commune ${code} : écrivez « ${code} : montant en euros ».`,
      );
    const envelopeCents = centsOf(amount);
    if (!Number.isInteger(envelopeCents) || envelopeCents < 0)
      throw new Error(
        `Enveloppe invalide pour la commune ${code} : « ${amount} » n’est pas un montant en euros.`,
      );
    return { funder: `COMMUNE-${code}`, envelopeCents };
  });
}
