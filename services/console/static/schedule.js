// The payment schedule of a convention, as the domain sets and checks it
// (domain/application/convention.ts: defaultPaymentSchedule, scheduleProblems), for the form that
// drafts the convention. No imports: the unit tests load this file in Node
// (test/console/schedule.unit.spec.ts) and compare it with the domain's own functions, so that the
// console's default and its check before sending cannot drift from the rule.

/**
 * @typedef {{ kind: 'signature' } | { kind: 'report_accepted', reportYear: number }} PaymentTrigger
 * @typedef {{ funder: string, year: number, amountCents: number }} PlanLine
 * @typedef {{ funder: string, year: number, amountCents: number, trigger: PaymentTrigger }} ScheduleLine
 * @typedef {{ message: string, funder: string, year: number, index?: number }} ScheduleProblem
 *   `index`: the line at fault (its place in the lines checked); none for a funder-year's total
 */

/**
 * The default schedule of an awarded plan: an advance of half (rounded down to the cent) — at the
 * signature for year 1, when the previous year's report is accepted for later years — and the
 * balance when that year's report is accepted. An advance of 0 is left out.
 * @param {readonly PlanLine[]} plan
 * @returns {ScheduleLine[]}
 */
export function defaultSchedule(plan) {
  /** @type {ScheduleLine[]} */
  const lines = [];
  for (const p of plan) {
    const advance = Math.floor(p.amountCents / 2);
    const balance = p.amountCents - advance;
    if (advance > 0)
      lines.push({
        funder: p.funder,
        year: p.year,
        amountCents: advance,
        trigger: p.year === 1 ? { kind: 'signature' } : { kind: 'report_accepted', reportYear: p.year - 1 },
      });
    lines.push({
      funder: p.funder,
      year: p.year,
      amountCents: balance,
      trigger: { kind: 'report_accepted', reportYear: p.year },
    });
  }
  return lines;
}

/**
 * The triggers the rule allows for a year's payment: the signature (year 1 only), the previous
 * year's report (an advance) or the year's own report (a balance).
 * @param {number} year @param {number} durationYears
 * @returns {PaymentTrigger[]}
 */
export function allowedTriggers(year, durationYears) {
  /** @type {PaymentTrigger[]} */
  const triggers = [];
  if (year === 1) triggers.push({ kind: 'signature' });
  for (const reportYear of [year - 1, year])
    if (reportYear >= 1 && reportYear <= durationYears)
      triggers.push({ kind: 'report_accepted', reportYear });
  return triggers;
}

/** A trigger as one string (a select's value): `signature`, `report-2`. @param {PaymentTrigger} t */
export const triggerKey = (t) => (t.kind === 'signature' ? 'signature' : `report-${t.reportYear}`);
/** @param {string} key @returns {PaymentTrigger} */
export const triggerOfKey = (key) =>
  key === 'signature' ? { kind: 'signature' } : { kind: 'report_accepted', reportYear: Number(key.slice(7)) };
/** Earlier triggers first: the signature, then the reports by year. @param {PaymentTrigger} t */
export const triggerRank = (t) => (t.kind === 'signature' ? 0 : t.reportYear);

/**
 * What the rule refuses in a schedule, in French, as the domain says it (scheduleProblems), with
 * where: a line whose funder and year have no award, a trigger the rule does not allow, a funder and
 * year whose lines do not add up to the award.
 * @param {readonly PlanLine[]} plan
 * @param {readonly ScheduleLine[]} lines
 * @param {number} durationYears
 * @param {{ nameOf: (funder: string) => string, money: (cents: number) => string }} words
 *   the funder's name (« État ») and an amount (« 5 000,00 € »)
 * @returns {ScheduleProblem[]}
 */
export function scheduleProblems(plan, lines, durationYears, { nameOf, money }) {
  /** @type {ScheduleProblem[]} */
  const problems = [];
  lines.forEach((l, index) => {
    const where = `${nameOf(l.funder)}, année ${l.year}`;
    const at = (message) =>
      problems.push({ message: `${where} : ${message}`, funder: l.funder, year: l.year, index });
    if (!plan.some((p) => p.funder === l.funder && p.year === l.year))
      at('aucun montant attribué par le comité pour cette année.');
    if (l.trigger.kind === 'signature' && l.year !== 1)
      at('seule l’année 1 peut être versée à la signature.');
    if (l.trigger.kind === 'report_accepted') {
      const r = l.trigger.reportYear;
      if (r > durationYears) at(`la convention n’a pas d’année ${r}.`);
      else if (r !== l.year && r !== l.year - 1)
        at('un versement dépend du compte rendu de la même année (solde) ou de la précédente (avance).');
    }
  });
  for (const p of plan) {
    const scheduled = lines
      .filter((l) => l.funder === p.funder && l.year === p.year)
      .reduce((sum, l) => sum + l.amountCents, 0);
    if (scheduled !== p.amountCents)
      problems.push({
        message: `${nameOf(p.funder)}, année ${p.year} : l’échéancier prévoit ${money(scheduled)} pour ${money(p.amountCents)} attribués.`,
        funder: p.funder,
        year: p.year,
      });
  }
  return problems;
}

/** The same lines, in the same order: same funder, year, amount and trigger. */
export function sameSchedule(a, b) {
  return (
    a.length === b.length &&
    a.every(
      (l, i) =>
        l.funder === b[i].funder &&
        l.year === b[i].year &&
        l.amountCents === b[i].amountCents &&
        triggerKey(l.trigger) === triggerKey(b[i].trigger),
    )
  );
}

/**
 * The lines with the ids the domain gives them (withInstallmentIds): `<funder>-y<year>-<n>`, n
 * counting the funder-year's lines in order.
 * @param {readonly ScheduleLine[]} lines
 * @returns {(ScheduleLine & { id: string })[]}
 */
export function withIds(lines) {
  const counters = new Map();
  return lines.map((l) => {
    const key = `${l.funder}-y${l.year}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return { id: `${key}-${n}`, ...l };
  });
}
