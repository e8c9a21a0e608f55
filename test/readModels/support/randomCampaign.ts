// A campaign of random application lives, driven by the real deciders through the world's stories
// (the domain's Story builder, envelopes reserved and released as the workflow does): every round
// lets time pass for all of them (the timers that fall due fire, as the workflow's would), then each
// application takes, or not, one of the steps its state allows, with random amounts — zero amounts,
// partial commitments and plans, reports spending less or more than paid, multi-quartier actions,
// conventions starting the year before, of or after the campaign, withdrawals, rejections, lapses,
// terminations. A seeded generator: the same seed, the same history.
import {
  addDays,
  allowedApplicationCommands,
  dueInstallments,
  type Actor,
  type ApplicationCommand,
  type Dossier,
  type FunderId,
  type ThemeCode,
} from '../../../domain';
import { actors, dossier as sampleDossier, MAUBEUGE, QPV } from '../../domain/support/fixtures';
import { seededRandom } from '../../support/seededRandom';
import type { ApplicationStory, GrantsWorld } from './world';

const FUNDERS: FunderId[] = ['ETAT', 'REGION', 'DEPARTEMENT', 'CAF', 'EPCI', MAUBEUGE];
const THEMES: ThemeCode[] = ['1.1', '1.3', '1.4', '1.5', '1.5a', '2.1', '3.2'];
/** Conventions of the 2027 AMI may start in 2026, 2027 or 2028 (conventionStartBounds). */
const STARTS = ['2026-09-01', '2027-01-01', '2027-04-01', '2027-07-01', '2028-01-01'];

export interface RandomCampaignOptions {
  applications: number;
  /** The last day time reaches (Paris). */
  until?: string;
}

export function playRandomCampaign(world: GrantsWorld, seed: number, options: RandomCampaignOptions): void {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const chance = (p: number) => random() < p;
  const pick = <T>(list: readonly T[]): T => {
    const value = list[int(list.length)];
    if (value === undefined) throw new Error('liste vide');
    return value;
  };
  const percentOf = (amount: number, percent: number) => Math.floor((amount * percent) / 100);

  function randomDossier(i: number): Dossier {
    const years = 1 + int(4);
    const funders = FUNDERS.filter(() => chance(0.45));
    if (funders.length === 0) funders.push(pick(FUNDERS));
    const requested: Partial<Record<FunderId, number>> = {};
    // Some asks are zero (a funder named for nothing), most a few thousand euros.
    for (const f of funders) requested[f] = chance(0.12) ? 0 : (1 + int(400)) * 10_000;
    const d = sampleDossier(years, requested, (1 + int(50)) * 100_000);
    // A funder asked in some years only, or for a different amount each year.
    for (const year of d.budget)
      for (const r of year.requested) if (chance(0.2)) r.amountCents = chance(0.5) ? 0 : r.amountCents * 2;
    // At least one ask somewhere: a dossier asking nothing is refused at submission (NOTHING_REQUESTED).
    const first = d.budget[0]?.requested[0];
    if (first !== undefined && d.budget.every((b) => b.requested.every((r) => r.amountCents === 0)))
      first.amountCents = 100_000;
    for (const year of d.budget)
      year.totalCostCents = year.requested.reduce((n, r) => n + r.amountCents, 0) + year.otherResourcesCents;
    d.action.title = `Action aléatoire ${i}`;
    d.action.theme = pick(THEMES);
    // One to three distinct quartiers (Fisher–Yates on the sample territory).
    const quartiers = [...QPV];
    for (let k = quartiers.length - 1; k > 0; k--) {
      const j = int(k + 1);
      [quartiers[k], quartiers[j]] = [quartiers[j] ?? '', quartiers[k] ?? ''];
    }
    d.action.qpvCodes = quartiers.slice(0, 1 + int(3));
    d.action.expectedBeneficiaries = int(300);
    return d;
  }

  /** One step the state allows, with random amounts; undefined to wait. */
  function randomStep(story: ApplicationStory): { command: ApplicationCommand; actor: Actor } | undefined {
    const s = story.state;
    const open = new Set(
      allowedApplicationCommands(s)
        .filter((a) => !a.roles.every((r) => r === 'system'))
        .map((a) => a.type),
    );
    // How often a step the state allows is considered: lives that end early are rarer, and a
    // porteur slow to file its reports lets some fall overdue.
    const weight: Partial<Record<string, number>> = {
      WithdrawApplication: 0.03,
      DeclareIneligible: 0.1,
      RecordCommitteeRejection: 0.1,
      TerminateConvention: 0.01,
      RequestComplements: 0.3,
      SubmitYearlyReport: 0.2,
    };
    const types = [...open].filter((t) => chance(weight[t] ?? 1));
    if (types.length === 0) return undefined;
    const type = pick(types);
    const gm = actors.grantManager;
    switch (type) {
      case 'DeclareEligible':
        return { command: { type, coDecisionDueDate: story.inDays(5 + int(50)) }, actor: gm };
      case 'DeclareIneligible':
        return { command: { type, reasons: ['Action hors du territoire'] }, actor: gm };
      case 'RequestComplements':
        return {
          command: { type, items: ['Statuts à jour'], dueDate: story.inDays(3 + int(20)) },
          actor: gm,
        };
      case 'ProvideComplements':
        // Sometimes the answer replaces the dossier: other quartiers, theme, duration and amounts.
        return {
          command: chance(0.4)
            ? {
                type,
                response: 'Dossier corrigé',
                documentRefs: ['doc'],
                amendedDossier: randomDossier(1000 + int(1000)),
              }
            : { type, response: 'Statuts joints', documentRefs: ['doc'] },
          actor: story.porteur,
        };
      case 'RecordFunderPosition': {
        if (s.status !== 'co_decision') return undefined;
        const funder = pick(s.coDecision.solicitedFunders);
        const share = chance(0.5) ? 100 : int(101);
        return {
          command: {
            type,
            funder,
            position: chance(0.15)
              ? { decision: 'declined', reason: 'Non prioritaire' }
              : {
                  decision: 'committed',
                  amountsByYear: s.dossier.budget.map((b) => ({
                    year: b.year,
                    amountCents: percentOf(
                      b.requested.find((r) => r.funder === funder)?.amountCents ?? 0,
                      share,
                    ),
                  })),
                },
          },
          actor: actors.funder(funder),
        };
      }
      case 'GiveCitizenOpinion':
        return {
          command: {
            type,
            opinion: pick(['favourable', 'reserved', 'unfavourable'] as const),
            comment: 'Avis',
          },
          actor: actors.citizenCouncil,
        };
      case 'RecordCommitteeApproval': {
        if (s.status !== 'co_decision') return undefined;
        const share = chance(0.6) ? 100 : int(101);
        const plan = Object.entries(s.coDecision.positions).flatMap(([funder, p]) =>
          p.decision === 'committed' && chance(0.9)
            ? p.amountsByYear.map((a) => ({
                funder,
                year: a.year,
                amountCents: percentOf(a.amountCents, share),
              }))
            : [],
        );
        if (plan.length === 0) return undefined;
        return {
          command: { type, decisionReference: 'COPIL-2027', decisionDate: story.today, plan },
          actor: gm,
        };
      }
      case 'RecordCommitteeRejection':
        return {
          command: {
            type,
            decisionReference: 'COPIL-2027',
            decisionDate: story.today,
            reasons: ['Hors priorités'],
          },
          actor: gm,
        };
      case 'DraftConvention':
        return {
          command: { type, startDate: pick(STARTS), signatureDueDate: story.inDays(3 + int(40)) },
          actor: gm,
        };
      case 'SignConvention': {
        if (s.status !== 'awaiting_signatures') return undefined;
        const signed = new Set(
          s.signatures.map((x) => (x.signatory.kind === 'porteur' ? 'porteur' : x.signatory.funder)),
        );
        const next = s.convention.signatories.filter(
          (x) => !signed.has(x.kind === 'porteur' ? 'porteur' : x.funder),
        );
        if (next.length === 0) return undefined;
        const signatory = pick(next);
        return {
          command: { type, signatory },
          actor: signatory.kind === 'porteur' ? story.porteur : actors.funder(signatory.funder),
        };
      }
      case 'SubmitYearlyReport': {
        if (s.status !== 'in_force') return undefined;
        const report = s.reports.find((r) => r.status === 'expected' || r.status === 'changes_requested');
        if (report === undefined) return undefined;
        const share = chance(0.5) ? 100 : int(121);
        return {
          command: {
            type,
            year: report.year,
            spentByFunder: s.award.plan
              .filter((p) => p.year === report.year)
              .map((p) => ({ funder: p.funder, amountCents: percentOf(p.amountCents, share) })),
            beneficiariesReached: int(200),
            indicators: [],
            narrative: `Bilan de l'année ${report.year}.`,
            documentRefs: [],
          },
          actor: story.porteur,
        };
      }
      case 'AcceptYearlyReport':
      case 'RequestReportChanges': {
        if (s.status !== 'in_force') return undefined;
        const report = s.reports.find((r) => r.status === 'submitted');
        if (report === undefined) return undefined;
        return type === 'AcceptYearlyReport'
          ? { command: { type, year: report.year }, actor: gm }
          : {
              command: {
                type,
                year: report.year,
                comments: ['Joindre les factures'],
                dueDate: story.inDays(5 + int(40)),
              },
              actor: gm,
            };
      }
      case 'OrderPayment': {
        if (s.status !== 'in_force') return undefined;
        const due = dueInstallments(s);
        if (due.length === 0) return undefined;
        return { command: { type, installmentId: pick(due).id }, actor: gm };
      }
      case 'CloseApplication':
        return { command: { type }, actor: gm };
      case 'TerminateConvention':
        return {
          command:
            s.status === 'in_force' && chance(0.5)
              ? {
                  type,
                  reason: 'breach',
                  comment: 'Action non réalisée',
                  justified: s.award.plan.map((p) => ({
                    funder: p.funder,
                    year: p.year,
                    amountCents: percentOf(p.amountCents, int(101)),
                  })),
                }
              : { type, reason: 'porteur_dissolved', comment: 'Dissolution' },
          actor: gm,
        };
      case 'WithdrawApplication':
        return { command: { type, reason: 'Projet abandonné' }, actor: story.porteur };
      // Sent by the workflow's timers (Story.on fires them), or the submission, done before.
      case 'SubmitApplication':
      case 'MarkComplementsMissed':
      case 'LapseSilentFunders':
      case 'LapseConvention':
      case 'RequestYearlyReport':
      case 'SendReportReminder':
      case 'MarkReportOverdue':
        return undefined;
      default: {
        const never: never = type;
        return never;
      }
    }
  }

  const stories = Array.from({ length: options.applications }, (_, i) => {
    const story = world.application({ porteurId: `porteur-${i % 5}`, now: '2027-01-16T08:00:00.000Z' });
    story.pendingDossier = randomDossier(i);
    return story;
  });
  // Submissions spread over the window (15 January – 31 March 2027).
  const submitted = new Set<ApplicationStory>();
  let today = '2027-01-20';
  const until = options.until ?? '2032-12-31';
  while (today <= until) {
    for (const story of stories) {
      story.on(today, `${String(8 + int(10)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}`);
      if (!submitted.has(story)) {
        if (today <= '2027-03-25' && chance(0.4)) {
          story.submit();
          submitted.add(story);
        }
        continue;
      }
      // Up to three steps a day for one application (several funders sign the same week…), or none.
      for (let n = int(4); n > 0; n--) {
        const step = randomStep(story);
        if (step === undefined) break;
        // A step the rules refuse (an amount beyond what they accept…) is simply not taken.
        if (story.try(step.command, step.actor).ok) story.do(step.command, step.actor);
      }
    }
    // Mostly a few days; sometimes months, letting deadlines pass.
    today = addDays(today, 1 + int(today < '2027-04-01' ? 7 : chance(0.85) ? 12 : 80));
  }
}
