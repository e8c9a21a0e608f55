// `grants seed demo`, the newcomer's first look at a living system: on the real engine, every
// application reaches the step the demo takes it to, the dossiers pass the automatic checks a real
// dossier would (a valid SIRET key), and the money awarded for the campaign's year counts in that
// year (the conventions start on its first day).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoStages, seedDemo } from '../../services/demo/demoCampaign';
import { startTestEngine, type RunningEngine } from './support/engine';

let e: RunningEngine;
let seeded: Awaited<ReturnType<typeof seedDemo>>;
let manager: string;

interface Detail {
  status: string;
  porteurId: string;
  state: {
    findings: { id: string; outcome: string }[];
    convention?: { startDate: string };
  };
}

/** The application as the query API shows it, once the read models hold it at `status`. */
async function detailAt(id: string, status: string): Promise<Detail> {
  const until = Date.now() + 30_000;
  for (;;) {
    const answer = await e.call('GET', `/api/applications/${id}`, { token: manager });
    const detail = answer.body as Detail;
    if (answer.status === 200 && detail.status === status) return detail;
    if (Date.now() > until)
      throw new Error(`${id} : ${answer.status} ${JSON.stringify(detail).slice(0, 200)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  e = await startTestEngine();
  manager = await e.token({ role: 'grant_manager' });
  seeded = await seedDemo(e.engine.grants, { count: demoStages.length });
}, 180_000);
afterAll(() => e?.stop());

describe('grants seed demo', () => {
  it('takes one application to each step of the lifecycle', async () => {
    expect(seeded.applications.map((a) => a.stage)).toEqual([...demoStages]);
    for (const a of seeded.applications) await detailAt(a.id, a.stage);
  });

  it('files dossiers the automatic checks take for real ones: no SIRET warning', async () => {
    for (const a of seeded.applications) {
      const { state } = await detailAt(a.id, a.stage);
      expect(state.findings.find((f) => f.id === 'porteur-siret')?.outcome, a.id).toBe('pass');
    }
  });

  it("starts the conventions in the campaign's year, where its money is then counted", async () => {
    const year = Number(/^camvs-(\d{4})-demo-/.exec(seeded.campaignId)?.[1]);
    const inForce = seeded.applications.find((a) => a.stage === 'in_force');
    expect(inForce).toBeDefined();
    const { state } = await detailAt(inForce?.id ?? '', 'in_force');
    expect(state.convention?.startDate).toBe(`${year}-01-01`);
    // Awarded money counts in the calendar year of its convention year: nothing before the campaign's.
    const summary = await e.call('GET', `/api/campaigns/${seeded.campaignId}/summary`, { token: manager });
    const byYear = (summary.body as { byYear: { year: number; awardedCents: number }[] }).byYear;
    expect(byYear.find((y) => y.year === year)?.awardedCents).toBeGreaterThan(0);
    expect(byYear.filter((y) => y.year < year && y.awardedCents !== 0)).toEqual([]);
  });
});

describe('grants seed demo: the conventions of an earlier AMI, already running', () => {
  it('shows a report overdue, one due within weeks, a CPO in its second year, files closed with a payment or a recovery', async () => {
    const { running } = seeded;
    const idOf = (situation: string) => running.applications.find((a) => a.situation === situation)?.id ?? '';
    await detailAt(idOf('report_overdue'), 'in_force');
    await detailAt(idOf('report_due_soon'), 'in_force');
    await detailAt(idOf('second_year'), 'in_force');
    await detailAt(idOf('closed'), 'closed');
    const recovered = await detailAt(idOf('closed_with_recovery'), 'closed');
    expect(JSON.stringify(recovered.state)).toContain('"recoveries"');

    const until = Date.now() + 30_000;
    for (;;) {
      const overdue = (
        await e.call('GET', `/api/reports/overdue?campaignId=${running.campaignId}`, { token: manager })
      ).body as { items: { applicationId: string; year: number }[] };
      const upcoming = (
        await e.call('GET', `/api/reports/upcoming?campaignId=${running.campaignId}&withinDays=60`, {
          token: manager,
        })
      ).body as { items: { applicationId: string; year: number }[] };
      const seen =
        overdue.items.map((r) => r.applicationId).join() === idOf('report_overdue') &&
        upcoming.items.map((r) => r.applicationId).join() === idOf('report_due_soon');
      if (seen) break;
      if (Date.now() > until)
        throw new Error(`rapports : ${JSON.stringify(overdue)} / ${JSON.stringify(upcoming)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The association whose report is late sees it among its own; another association does not.
    const late = await detailAt(idOf('report_overdue'), 'in_force');
    const own = await e.call('GET', '/api/reports/overdue', {
      token: await e.token({ role: 'porteur', porteurId: late.porteurId }),
    });
    expect(own.status).toBe(200);
    expect((own.body as { items: { applicationId: string }[] }).items.map((r) => r.applicationId)).toEqual([
      idOf('report_overdue'),
    ]);
    const someoneElse = await e.call('GET', '/api/reports/overdue', {
      token: await e.token({ role: 'porteur', porteurId: 'asso-sans-retard' }),
    });
    expect((someoneElse.body as { items: unknown[] }).items).toEqual([]);
    // Its money: paid (advances, balances) and paid back (the recovery), in the campaign's summary.
    const summary = (await e.call('GET', `/api/campaigns/${running.campaignId}/summary`, { token: manager }))
      .body as { status: string; amounts: { paidCents: number; recoveredCents: number } };
    expect(summary.amounts.paidCents).toBeGreaterThan(0);
    expect(summary.amounts.recoveredCents).toBeGreaterThan(0);
  });

  it('seeds a larger demo to its end: envelopes sized for its applications (--count 60)', async () => {
    // 46 applications exhausted the État's default envelope: the seed stopped on ENVELOPE_EXCEEDED.
    const large = await seedDemo(e.engine.grants, { count: 60 });
    expect(large.applications).toHaveLength(60);
    const summary = (await e.call('GET', `/api/campaigns/${large.campaignId}/summary`, { token: manager }))
      .body as {
      byFunder: { funder: string; envelope: { amountCents: number; reservedCents: number } | null }[];
    };
    // The État's envelope grew with the demo, and holds what the steps reserved.
    const etat = summary.byFunder.find((f) => f.funder === 'ETAT')?.envelope;
    expect(etat?.amountCents).toBeGreaterThan(80_000_000);
    for (const f of summary.byFunder)
      if (f.envelope !== null)
        expect(f.envelope.reservedCents, f.funder).toBeLessThanOrEqual(f.envelope.amountCents);
  }, 300_000);
});
