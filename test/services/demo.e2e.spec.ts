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
