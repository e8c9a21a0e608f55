// The timeline's « Détail » line (services/console/static/eventDetails.js, the browser module itself,
// loaded in Node: it imports nothing), read over the events the domain's own decider makes in every
// situation of an application: every event type has its label and a line that names what the event
// carries (amounts, funders, years, dates, reasons), never « undefined » or « NaN ».
import { beforeAll, describe, expect, it } from 'vitest';
import { applicationEventDefinitions, type ApplicationEvent } from '../../domain';
import { MAUBEUGE } from '../domain/support/fixtures';
import { applicationSituations, inForce } from '../domain/support/situations';

interface Words {
  money: (cents: number) => string;
  date: (value: string) => string;
  funder: (id: string) => string;
  theFunder: (id: string) => string;
  compareFunders: (a: string, b: string) => number;
  plural: (n: number, singular: string, plural?: string) => string;
}
interface EventDetailsModule {
  eventLabels: Record<string, string>;
  eventDetail(event: { type: string; data: unknown }, words: Words): string;
  TEXT_EXCERPT: number;
}

let m: EventDetailsModule;
beforeAll(async () => {
  // A browser file without types: imported by URL, its shape stated here.
  const url = new URL('../../services/console/static/eventDetails.js', import.meta.url).href;
  m = (await import(url)) as EventDetailsModule;
});

// The console's own formatter for money; dates and funders kept as their ids, to read the lines,
// funders in alphabetical order (the console's is the État first).
const euro = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
const words: Words = {
  money: (cents) => euro.format(cents / 100).replace(/[\u202f\u00a0]/g, ' '),
  date: (value) => `[${value}]`,
  funder: (id) => `<${id}>`,
  theFunder: (id) => `le <${id}>`,
  compareFunders: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  plural: (n, singular, plural = `${singular}s`) => `${n} ${n >= 2 ? plural : singular}`,
};

/**
 * Every event of every situation, and of a one-year convention whose report justified nothing of the
 * Région's grant: its balance cancelled (InstallmentCancelled, which no situation reaches), its
 * advance to pay back.
 */
function domainEvents(): ApplicationEvent[] {
  const nothingSpent = inForce(1)
    .on('2028-02-01')
    .submitReport(1, { REGION: 0 })
    .on('2028-02-15')
    .acceptReport(1);
  return [...applicationSituations().flatMap((s) => s.story.events), ...nothingSpent.events];
}

const detail = (type: string, data: unknown): string => m.eventDetail({ type, data }, words);

describe('the timeline’s detail line of an application event', () => {
  it('has a label for every event type the domain records', () => {
    for (const { type } of applicationEventDefinitions) expect(m.eventLabels[type], type).toBeTruthy();
    expect(Object.keys(m.eventLabels).sort()).toEqual(applicationEventDefinitions.map((d) => d.type).sort());
  });

  it('says something readable for every event the decider makes, in whole sentences', () => {
    const events = domainEvents();
    const seen = new Set(events.map((e) => e.type));
    // The situations reach every type: the lines below are checked on each.
    expect([...applicationEventDefinitions.map((d) => d.type)].filter((t) => !seen.has(t))).toEqual([]);
    // Closing and withdrawing carry no text of their own when none was given.
    const mayBeEmpty = new Set(['ApplicationClosed', 'ApplicationWithdrawn']);
    for (const event of events) {
      const line = m.eventDetail(event, words);
      if (!mayBeEmpty.has(event.type)) expect(line, event.type).not.toBe('');
      expect(line, event.type).not.toMatch(/undefined|NaN|\[object|null/);
      if (line !== '') expect(line, event.type).toMatch(/[.…]$/);
    }
  });

  it('names the money: whose, which year, how much', () => {
    const byType = (type: string) => domainEvents().find((e) => e.type === type)!;
    const approval = byType('CommitteeApprovalRecorded');
    if (approval.type !== 'CommitteeApprovalRecorded') throw new Error('type');
    const total = approval.data.plan.reduce((s, l) => s + l.amountCents, 0);
    const line = m.eventDetail(approval, words);
    expect(line).toContain(`Décision ${approval.data.decisionReference} du [${approval.data.decisionDate}]`);
    expect(line).toContain(words.money(total));
    // Each funder once with its share, in the console's order whatever the plan's.
    const shares = [...new Set(approval.data.plan.map((l) => l.funder))].sort().map((funder) => {
      const cents = approval.data.plan
        .filter((l) => l.funder === funder)
        .reduce((s, l) => s + l.amountCents, 0);
      return `<${funder}> ${words.money(cents)}`;
    });
    expect(line).toContain(`(${shares.join(' ; ')})`);

    expect(
      detail('FunderPositionRecorded', {
        funder: MAUBEUGE,
        position: {
          decision: 'committed',
          amountsByYear: [
            { year: 1, amountCents: 1_000_000 },
            { year: 2, amountCents: 500_000 },
          ],
          decisionReference: 'CM 2027-04-12',
        },
      }),
    ).toBe(
      `Le <${MAUBEUGE}> s’engage pour 15 000,00 € (année 1 : 10 000,00 € ; année 2 : 5 000,00 €). Décision : CM 2027-04-12.`,
    );
    expect(
      detail('FunderPositionRecorded', {
        funder: 'CAF',
        position: { decision: 'declined', reason: 'Hors de nos priorités 2027' },
      }),
    ).toBe('Le <CAF> décline : Hors de nos priorités 2027.');
    expect(
      detail('PaymentOrdered', {
        installmentId: 'ETAT-y1-2',
        funder: 'ETAT',
        year: 1,
        amountCents: 300_000,
        scheduledCents: 500_000,
        orderedAt: '2028-03-01T09:00:00.000Z',
      }),
    ).toBe('<ETAT>, année 1 : 3 000,00 € (prévu 5 000,00 €, limité à ce que le compte rendu justifie).');
    expect(
      detail('RecoveryOrdered', {
        funder: 'REGION',
        year: 2,
        amountCents: 125_050,
        reason: 'unspent',
        detail: 'Versé 5 000,00 €, justifié 3 749,50 €',
      }),
    ).toBe(
      '<REGION>, année 2 : 1 250,50 € à reverser (sommes versées non dépensées). Versé 5 000,00 €, justifié 3 749,50 €.',
    );
  });

  it('cuts a long free text and a long list, the event’s data shown whole beside it', () => {
    const reason = 'Motif détaillé. '.repeat(40);
    const line = detail('ApplicationDeclaredIneligible', { reasons: [reason, 'b', 'c', 'd', 'e'] });
    expect(line).toMatch(/^Motifs : Motif détaillé\. Motif détaillé\..*… ; b ; c \(\+ 2 autres\)\.$/);
    expect(line.length).toBeLessThan(m.TEXT_EXCERPT + 40);
  });

  it('says nothing rather than something wrong for an event it cannot read', () => {
    expect(detail('SomethingNewer', { amountCents: 1 })).toBe('');
    expect(detail('PaymentOrdered', { funder: 'ETAT' })).toBe('');
    expect(detail('FunderPositionRecorded', null)).toBe('');
  });
});
