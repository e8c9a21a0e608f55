// A scenario builder that drives the real decider step by step, like the workflow would: each
// step sends a command at the story's current business time and applies the resulting events.
import {
  addDays,
  allowedApplicationCommands,
  applicationDeadlines,
  compareInstants,
  decideApplication,
  evolveApplication,
  initialApplicationState,
  parisDateOf,
  parisInstant,
  type Actor,
  type ApplicationCommand,
  type ApplicationDeadline,
  type ApplicationEvent,
  type ApplicationState,
  type ApplicationStateOf,
  type ApplicationStatus,
  type Dossier,
  type FunderId,
  type PlanLine,
  type Result,
} from '../../../domain';
import { actors, APPLICATION_ID, campaign2027, dossier, meta } from './fixtures';

export class Story {
  events: ApplicationEvent[] = [];
  state: ApplicationState = initialApplicationState;

  constructor(public now = '2027-02-10T09:00:00.000Z') {}

  /** Moves business time to a Paris date and wall-clock time. */
  on(date: string, time = '10:00'): this {
    const next = parisInstant(date, time);
    if (compareInstants(next, this.now) < 0)
      throw new Error(`Le temps ne recule pas : ${date} < ${this.now}`);
    this.fireDeadlinesBefore(next);
    this.now = next;
    return this;
  }

  get today(): string {
    return parisDateOf(this.now);
  }

  inDays(days: number): string {
    return addDays(this.today, days);
  }

  try(command: ApplicationCommand, actor: Actor, at = this.now): Result<ApplicationEvent> {
    return decideApplication(command, this.state, meta(actor, at));
  }

  do(command: ApplicationCommand, actor: Actor): ApplicationEvent[] {
    const result = this.try(command, actor);
    if (!result.ok)
      throw new Error(`${command.type} refusée : ${result.error.code} — ${result.error.message}`);
    this.apply(result.events);
    return result.events;
  }

  apply(events: ApplicationEvent[]): void {
    for (const e of events) {
      this.events.push(e);
      this.state = evolveApplication(this.state, e);
    }
  }

  deadlines(): ApplicationDeadline[] {
    return applicationDeadlines(this.state).sort((a, b) => compareInstants(a.dueAt, b.dueAt));
  }

  /** Fires the earliest deadline (of that kind, if given) at its due time, as the workflow's timer would. */
  fire(kind?: string): ApplicationEvent[] {
    const deadline = this.deadlines().find((d) => kind === undefined || d.kind === kind);
    if (!deadline) throw new Error(`Aucune échéance ${kind ?? ''} au statut ${this.state.status}`);
    if (compareInstants(deadline.dueAt, this.now) > 0) this.fireDeadlinesBefore(deadline.dueAt);
    this.now = compareInstants(deadline.dueAt, this.now) > 0 ? deadline.dueAt : this.now;
    return this.do(deadline.command, actors.system);
  }

  /** Timers strictly before `instant` fire first, in order (time never skips a deadline). */
  private fireDeadlinesBefore(instant: string): void {
    for (;;) {
      const next = this.deadlines()[0];
      if (!next || compareInstants(next.dueAt, instant) > 0) return;
      this.now = compareInstants(next.dueAt, this.now) > 0 ? next.dueAt : this.now;
      this.do(next.command, actors.system);
    }
  }

  /** The state, checked to be in that status (and typed accordingly). */
  as<S extends ApplicationStatus>(status: S): ApplicationStateOf<S> {
    const state: ApplicationState = this.state;
    if (state.status !== status) throw new Error(`Statut attendu ${status}, obtenu ${state.status}`);
    return state as ApplicationStateOf<S>;
  }

  allowed(): string[] {
    return allowedApplicationCommands(this.state).map((a) => a.type);
  }

  // ---- business steps with sensible defaults ----

  submit(d: Dossier = dossier(4)): this {
    this.do(
      { type: 'SubmitApplication', applicationId: APPLICATION_ID, campaign: campaign2027, dossier: d },
      actors.porteur,
    );
    return this;
  }

  requestComplements(dueDate = this.inDays(20)): this {
    this.do(
      { type: 'RequestComplements', items: ['Budget prévisionnel signé'], dueDate },
      actors.grantManager,
    );
    return this;
  }

  provideComplements(): this {
    this.do(
      { type: 'ProvideComplements', response: 'Budget signé joint.', documentRefs: ['doc-budget-signe'] },
      actors.porteur,
    );
    return this;
  }

  declareEligible(coDecisionDueDate = this.inDays(40)): this {
    this.do({ type: 'DeclareEligible', coDecisionDueDate }, actors.grantManager);
    return this;
  }

  /** Commits the requested amounts, or a share of them (percent), for these funders. */
  commit(funder: FunderId, percent = 100, conditions?: string): this {
    if (this.state.status !== 'co_decision') throw new Error('commit hors co-décision');
    const d = this.state.dossier;
    const amountsByYear = d.budget.map((b) => ({
      year: b.year,
      amountCents: Math.floor(
        ((b.requested.find((r) => r.funder === funder)?.amountCents ?? 0) * percent) / 100,
      ),
    }));
    this.do(
      {
        type: 'RecordFunderPosition',
        funder,
        position:
          conditions === undefined
            ? { decision: 'committed', amountsByYear }
            : { decision: 'committed', amountsByYear, conditions },
      },
      actors.funder(funder),
    );
    return this;
  }

  decline(funder: FunderId, reason = 'Enveloppe épuisée sur cette thématique'): this {
    this.do(
      { type: 'RecordFunderPosition', funder, position: { decision: 'declined', reason } },
      actors.funder(funder),
    );
    return this;
  }

  commitAll(): this {
    if (this.state.status !== 'co_decision') throw new Error('commitAll hors co-décision');
    for (const f of this.state.coDecision.solicitedFunders) this.commit(f);
    return this;
  }

  opinion(opinion: 'favourable' | 'reserved' | 'unfavourable' = 'favourable'): this {
    this.do(
      { type: 'GiveCitizenOpinion', opinion, comment: 'Action attendue par les habitants.' },
      actors.citizenCouncil,
    );
    return this;
  }

  /** Approves the committed positions as they stand (or the given plan). */
  approve(plan?: PlanLine[]): this {
    if (this.state.status !== 'co_decision') throw new Error('approve hors co-décision');
    const positions = this.state.coDecision.positions;
    const fullPlan =
      plan ??
      Object.entries(positions).flatMap(([funder, p]) =>
        p.decision === 'committed'
          ? p.amountsByYear.map((a) => ({ funder, year: a.year, amountCents: a.amountCents }))
          : [],
      );
    this.do(
      {
        type: 'RecordCommitteeApproval',
        decisionReference: 'COPIL-2027-06',
        decisionDate: this.today,
        plan: fullPlan,
      },
      actors.grantManager,
    );
    return this;
  }

  reject(): this {
    this.do(
      {
        type: 'RecordCommitteeRejection',
        decisionReference: 'COPIL-2027-06',
        decisionDate: this.today,
        reasons: ['Action redondante avec une action déjà financée'],
      },
      actors.grantManager,
    );
    return this;
  }

  draft(startDate = '2027-01-01', signatureDueDate = this.inDays(30)): this {
    this.do({ type: 'DraftConvention', startDate, signatureDueDate }, actors.grantManager);
    return this;
  }

  signByPorteur(): this {
    this.do({ type: 'SignConvention', signatory: { kind: 'porteur' } }, actors.porteur);
    return this;
  }

  signByFunder(funder: FunderId): this {
    this.do({ type: 'SignConvention', signatory: { kind: 'funder', funder } }, actors.funder(funder));
    return this;
  }

  signAll(): this {
    if (this.state.status !== 'awaiting_signatures') throw new Error('signAll hors signature');
    this.signByPorteur();
    for (const s of this.state.convention.signatories) if (s.kind === 'funder') this.signByFunder(s.funder);
    return this;
  }

  /** Files the report of that year; spent per funder defaults to the award (everything spent). */
  submitReport(year: number, spent?: Partial<Record<FunderId, number>>, beneficiariesReached = 110): this {
    if (this.state.status !== 'in_force') throw new Error('submitReport hors convention en vigueur');
    const plan = this.state.award.plan.filter((p) => p.year === year);
    this.do(
      {
        type: 'SubmitYearlyReport',
        year,
        spentByFunder: plan.map((p) => ({
          funder: p.funder,
          amountCents: spent?.[p.funder] ?? p.amountCents,
        })),
        beneficiariesReached,
        indicators: [{ name: 'Familles accompagnées', target: 40, achieved: 37 }],
        narrative: `Bilan de l'année ${year}.`,
      },
      actors.porteur,
    );
    return this;
  }

  acceptReport(year: number): this {
    this.do({ type: 'AcceptYearlyReport', year }, actors.grantManager);
    return this;
  }

  requestReportChanges(year: number, dueDate = this.inDays(30)): this {
    this.do(
      { type: 'RequestReportChanges', year, comments: ['Joindre les factures'], dueDate },
      actors.grantManager,
    );
    return this;
  }

  declareIneligible(): this {
    this.do(
      { type: 'DeclareIneligible', reasons: ['Action hors du territoire du contrat de ville'] },
      actors.grantManager,
    );
    return this;
  }

  withdraw(): this {
    this.do({ type: 'WithdrawApplication', reason: 'Association en sommeil' }, actors.porteur);
    return this;
  }

  terminate(): this {
    this.do(
      {
        type: 'TerminateConvention',
        reason: 'porteur_dissolved',
        comment: 'Dissolution votée en assemblée générale',
      },
      actors.grantManager,
    );
    return this;
  }

  close(): this {
    this.do({ type: 'CloseApplication' }, actors.grantManager);
    return this;
  }
}
