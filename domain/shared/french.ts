// French wording shared by the domain's messages.

/** « 1 an », « 3 ans » : a count and its noun in the right number (in French, 0 and 1 take the singular). */
export const countOf = (n: number, singular: string, plural: string): string =>
  `${n} ${n < 2 ? singular : plural}`;
