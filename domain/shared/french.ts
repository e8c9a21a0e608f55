// French wording shared by the domain's messages.

/** « 1 an », « 3 ans » : a count and its noun in the right number (in French, 0 and 1 take the singular). */
export const countOf = (n: number, singular: string, plural: string): string =>
  `${n} ${n < 2 ? singular : plural}`;

/** A list as a sentence says it: « 1 », « 1 et 2 », « 1, 2 et 3 ». */
export const frenchAnd = (items: readonly string[]): string =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} et ${items[items.length - 1]}`;

/** A number as a French sentence writes it: « 66,7 », a decimal comma (« 66.7 » reads as English). */
export const frenchDecimal = (n: number): string => String(n).replace('.', ',');
