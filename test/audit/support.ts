// A year of funding written the way the engine writes it: the domain's decide turns each command
// into events, which are appended to a real SQLite store with the actor and the business time in
// their metadata. The store's clock is driven by the story, so record time can lag behind business
// time where a decision was keyed in late.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applicationStreamName,
  decideApplication,
  evolveApplication,
  initialApplicationState,
  type ApplicationCommand,
  type ApplicationEvent,
  type ApplicationState,
  type Dossier,
} from '../../domain/application';
import { parisInstant } from '../../domain/calendar';
import {
  campaignStreamName,
  decideCampaign,
  evolveCampaign,
  initialCampaignState,
  toCampaignSnapshot,
  type CampaignCommand,
  type CampaignEvent,
  type CampaignState,
} from '../../domain/campaign';
import {
  decideEnvelope,
  envelopeStreamName,
  evolveEnvelope,
  initialEnvelopeState,
  type EnvelopeCommand,
  type EnvelopeEvent,
  type EnvelopeState,
} from '../../domain/envelope';
import type { Actor, CommandMeta, FunderId, Result } from '../../domain';
import { openSqliteEventStore, type SqliteEventStore } from '../../infra/eventstore';
import type { ExpectedRevision } from '../../infra/eventstore/port';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import { dossier, MAUBEUGE, QPV } from '../domain/support/fixtures';

/** A Paris wall-clock instant: `on('2027-03-10')` is 10:00 in Maubeuge that day. */
export const on = (date: string, time = '10:00'): string => parisInstant(date, time);

export interface TestClock {
  set(instant: string): void;
  now(): Date;
}

export function testClock(start = '2027-01-01T00:00:00.000Z'): TestClock {
  let current = new Date(start);
  return {
    set: (instant) => {
      current = new Date(instant);
    },
    now: () => current,
  };
}

export interface TestStore {
  dir: string;
  file: string;
  /** Replaceable: tests that tamper with the file reopen it here. */
  store: SqliteEventStore;
  clock: TestClock;
  close(): Promise<void>;
}

export function openTestStore(): TestStore {
  const dir = mkdtempSync(join(tmpdir(), 'grants-audit-'));
  const file = join(dir, 'events.sqlite');
  const clock = testClock();
  const store = openSqliteEventStore({
    file,
    registry: createGrantsEventRegistry(),
    synchronous: 'NORMAL',
    clock: () => clock.now(),
  });
  const test: TestStore = {
    dir,
    file,
    store,
    clock,
    // The current store: a test may close it, alter the file, and reopen it in its place.
    close: async () => {
      await test.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return test;
}

interface Decider<C, S, E> {
  decide(command: C, state: S, meta: CommandMeta): Result<E>;
  evolve(state: S, event: E): S;
  initialState: S;
}

/** One stream driven by its decider: commands in, events appended with metadata, state kept. */
export class StreamWriter<C, S, E extends { type: string; data: unknown }> {
  state: S;
  private revision: ExpectedRevision = 'no_stream';

  constructor(
    private readonly test: TestStore,
    readonly stream: string,
    private readonly decider: Decider<C, S, E>,
  ) {
    this.state = decider.initialState;
  }

  /** Decides at business time `at`; the store records it at `recordedAt` (default: the same instant). */
  async do(command: C, actor: Actor, at: string, recordedAt = at): Promise<E[]> {
    const result = this.decider.decide(command, this.state, { actor, at, commandId: randomUUID() });
    if (!result.ok) throw new Error(`${this.stream} : refus ${result.error.code} — ${result.error.message}`);
    if (result.events.length === 0) return [];
    this.test.clock.set(recordedAt);
    const correlationId = randomUUID();
    const appended = await this.test.store.append(
      this.stream,
      result.events.map((e) => ({
        id: randomUUID(),
        type: e.type,
        data: e.data,
        metadata: {
          correlationId,
          causationId: correlationId,
          // As the workflows record it: who, never their name; porteurId stays in the command.
          actor: { id: actor.id, role: actor.role, institution: actor.institution },
          // As the workflow does: the act's own date when the domain gives one (Result.occurredAt).
          occurredAt: result.occurredAt ?? at,
        },
      })),
      { expectedRevision: this.revision },
    );
    this.revision = appended.nextExpectedRevision;
    for (const e of result.events) this.state = this.decider.evolve(this.state, e);
    return result.events;
  }
}

export const actors = {
  manager: { id: 'cdm-camvs-1', role: 'grant_manager' },
  council: { id: 'conseil-citoyen-maubeuge', role: 'citizen_council' },
  porteur: (porteurId: string): Actor => ({ id: `user-${porteurId}`, role: 'porteur', porteurId }),
  funder: (institution: FunderId): Actor => ({
    id: `rep-${institution.toLowerCase()}`,
    role: 'funder',
    institution,
  }),
} satisfies Record<string, Actor | ((x: string) => Actor)>;

export const CAMPAIGN_ID = '2027';

/** Envelopes of the 2027 AMI, in cents. */
export const envelopes: Record<string, number> = {
  ETAT: 50_000_000,
  EPCI: 30_000_000,
  [MAUBEUGE]: 10_000_000,
};

export class FundingWorld {
  readonly campaign: StreamWriter<CampaignCommand, CampaignState, CampaignEvent>;
  private readonly envelopeWriters = new Map<
    string,
    StreamWriter<EnvelopeCommand, EnvelopeState, EnvelopeEvent>
  >();

  constructor(readonly test: TestStore) {
    this.campaign = new StreamWriter(test, campaignStreamName(CAMPAIGN_ID), {
      decide: decideCampaign,
      evolve: evolveCampaign,
      initialState: initialCampaignState,
    });
  }

  envelope(funder: string): StreamWriter<EnvelopeCommand, EnvelopeState, EnvelopeEvent> {
    let writer = this.envelopeWriters.get(funder);
    if (!writer) {
      writer = new StreamWriter(this.test, envelopeStreamName(CAMPAIGN_ID, funder), {
        decide: decideEnvelope,
        evolve: evolveEnvelope,
        initialState: initialEnvelopeState,
      });
      this.envelopeWriters.set(funder, writer);
    }
    return writer;
  }

  application(applicationId: string, porteurId: string): ApplicationScript {
    return new ApplicationScript(this, applicationId, actors.porteur(porteurId));
  }

  async createAndOpenCampaign(): Promise<void> {
    await this.campaign.do(
      {
        type: 'CreateCampaign',
        campaignId: CAMPAIGN_ID,
        year: 2027,
        name: 'AMI Contrat de ville CAMVS 2027',
        submissionWindow: { opensAt: on('2027-01-15', '08:00'), closesAt: on('2027-03-31', '23:59') },
        themes: ['1.1', '1.3', '1.4', '1.5', '1.5a', '2.1', '3.2'],
        funders: Object.entries(envelopes).map(([funder, envelopeCents]) => ({ funder, envelopeCents })),
        maxDurationYears: 4,
        publicShareCapPercent: 80,
        multiYearTargetPercent: 50,
        territory: { name: 'CA Maubeuge Val-de-Sambre', qpvCodes: QPV, qpvReferenceVersion: 'échantillon' },
      },
      actors.manager,
      on('2027-01-05', '09:00'),
    );
    for (const [funder, amountCents] of Object.entries(envelopes)) {
      await this.envelope(funder).do(
        { type: 'OpenEnvelope', campaignId: CAMPAIGN_ID, funder, amountCents },
        actors.manager,
        on('2027-01-05', '09:05'),
      );
    }
    await this.campaign.do({ type: 'OpenCampaign' }, actors.manager, on('2027-01-15', '08:00'));
  }
}

/** One application's steps, each at a business date (and optionally recorded later). */
export class ApplicationScript {
  readonly writer: StreamWriter<ApplicationCommand, ApplicationState, ApplicationEvent>;

  constructor(
    private readonly world: FundingWorld,
    readonly applicationId: string,
    private readonly porteur: Actor,
  ) {
    this.writer = new StreamWriter(world.test, applicationStreamName(applicationId), {
      decide: decideApplication,
      evolve: evolveApplication,
      initialState: initialApplicationState,
    });
  }

  get state(): ApplicationState {
    return this.writer.state;
  }

  private dossierNow(): Dossier {
    const s = this.writer.state;
    if (s.status === 'not_submitted') throw new Error('candidature non déposée');
    return s.dossier;
  }

  async submit(date: string, d: Dossier): Promise<this> {
    const campaign = toCampaignSnapshot(this.world.campaign.state);
    if (!campaign) throw new Error('campagne absente');
    await this.writer.do(
      { type: 'SubmitApplication', applicationId: this.applicationId, campaign, dossier: d },
      this.porteur,
      on(date),
    );
    return this;
  }

  async eligible(date: string, coDecisionDueDate: string): Promise<this> {
    await this.writer.do({ type: 'DeclareEligible', coDecisionDueDate }, actors.manager, on(date));
    return this;
  }

  /**
   * The funder commits what was asked and reserves it on its envelope, as the workflow does;
   * `decisionReference`: its own deliberation's.
   */
  async commit(
    funder: FunderId,
    date: string,
    recordedOn?: string,
    decisionReference?: string,
  ): Promise<this> {
    const amountsByYear = this.dossierNow().budget.map((b) => ({
      year: b.year,
      amountCents: b.requested.find((r) => r.funder === funder)?.amountCents ?? 0,
    }));
    const at = on(date);
    const recordedAt = recordedOn === undefined ? at : on(recordedOn);
    const actor = actors.funder(funder);
    await this.world
      .envelope(funder)
      .do(
        { type: 'ReserveFunds', funder, applicationId: this.applicationId, amountsByYear },
        actor,
        at,
        recordedAt,
      );
    await this.writer.do(
      {
        type: 'RecordFunderPosition',
        funder,
        position: {
          decision: 'committed',
          amountsByYear,
          ...(decisionReference === undefined ? {} : { decisionReference }),
        },
      },
      actor,
      at,
      recordedAt,
    );
    return this;
  }

  async decline(funder: FunderId, date: string): Promise<this> {
    await this.writer.do(
      {
        type: 'RecordFunderPosition',
        funder,
        position: { decision: 'declined', reason: 'Enveloppe épuisée' },
      },
      actors.funder(funder),
      on(date),
    );
    return this;
  }

  async opinion(date: string): Promise<this> {
    await this.writer.do(
      { type: 'GiveCitizenOpinion', opinion: 'favourable', comment: 'Action attendue par les habitants.' },
      actors.council,
      on(date),
    );
    return this;
  }

  async approve(date: string, decisionReference: string): Promise<this> {
    const s = this.writer.state;
    if (s.status !== 'co_decision') throw new Error(`approbation au statut ${s.status}`);
    const plan = Object.entries(s.coDecision.positions).flatMap(([funder, p]) =>
      p.decision === 'committed'
        ? p.amountsByYear
            .filter((a) => a.amountCents > 0)
            .map((a) => ({ funder, year: a.year, amountCents: a.amountCents }))
        : [],
    );
    await this.writer.do(
      { type: 'RecordCommitteeApproval', decisionReference, decisionDate: date, plan },
      actors.manager,
      on(date),
    );
    return this;
  }

  /** Rejection, then the release of every reservation, as the workflow does. */
  async reject(date: string, decisionReference: string, reserved: FunderId[]): Promise<this> {
    await this.writer.do(
      {
        type: 'RecordCommitteeRejection',
        decisionReference,
        decisionDate: date,
        reasons: ['Action redondante avec une action déjà financée sur le quartier'],
      },
      actors.manager,
      on(date),
    );
    for (const funder of reserved) {
      await this.world
        .envelope(funder)
        .do(
          { type: 'ReleaseFunds', applicationId: this.applicationId, reason: 'candidature rejetée' },
          actors.manager,
          on(date),
        );
    }
    return this;
  }

  async draft(
    date: string,
    startDate: string,
    signatureDueDate: string,
    paymentSchedule?: Extract<ApplicationCommand, { type: 'DraftConvention' }>['paymentSchedule'],
  ): Promise<this> {
    await this.writer.do(
      {
        type: 'DraftConvention',
        startDate,
        signatureDueDate,
        ...(paymentSchedule === undefined ? {} : { paymentSchedule }),
      },
      actors.manager,
      on(date),
    );
    return this;
  }

  async signByPorteur(date: string): Promise<this> {
    await this.writer.do({ type: 'SignConvention', signatory: { kind: 'porteur' } }, this.porteur, on(date));
    return this;
  }

  async sign(funder: FunderId, date: string): Promise<this> {
    await this.writer.do(
      { type: 'SignConvention', signatory: { kind: 'funder', funder } },
      actors.funder(funder),
      on(date),
    );
    return this;
  }
}

export const APPLICATION_A = '01JQA00000000000000000000A';
export const APPLICATION_B = '01JQA00000000000000000000B';
export const APPLICATION_C = '01JQA00000000000000000000C';
export const APPLICATION_D = '01JQA00000000000000000000D';
/** What the SCDL export says of B's beneficiary, known by its RNA only: a cash grant wants its SIRET. */
export const jardinsWithoutSiretWarning =
  `idBeneficiaire vide pour « Les Jardins de Sous-le-Bois (fictive) » (candidature ${APPLICATION_B}), connu ` +
  'par son seul numéro RNA : le schéma ne permet d’omettre le SIRET que pour une aide en nature, or cette ' +
  'subvention est en numéraire : demandez son SIRET au porteur.';

/**
 * The 2027 story, in record order:
 * - A, « Association Sambre Avenir » (SIRET and RNA): a two-year CPO funded by the État (30 000 €
 *   a year, above the publication threshold), the agglomeration (15 000 €) and Maubeuge (5 000 €).
 *   Maubeuge's council decided on 10 April; its position was keyed in on 20 April.
 * - B, « Les Jardins de Sous-le-Bois » (RNA only): one year, 10 000 € from the État, paid at once at
 *   signature on 15 April.
 * - C: co-financed by the agglomeration, rejected by the committee; its reservation released.
 * - D: 24 000 € from the État, signed on 10 January 2028 (an export of 2027 leaves it out).
 */
export async function playFundingYear(world: FundingWorld) {
  await world.createAndOpenCampaign();
  const a = world.application(APPLICATION_A, 'porteur-sambre-avenir');
  const b = world.application(APPLICATION_B, 'porteur-jardins');
  const c = world.application(APPLICATION_C, 'porteur-c');
  const d = world.application(APPLICATION_D, 'porteur-d');

  await a.submit('2027-02-10', dossier(2, { ETAT: 3_000_000, EPCI: 1_500_000, [MAUBEUGE]: 500_000 }));
  await b.submit('2027-02-12', {
    ...dossier(1, { ETAT: 1_000_000 }, 1_000_000),
    porteur: {
      name: 'Les Jardins de Sous-le-Bois (fictive)',
      rna: 'W593000002',
      contactRef: 'contact-jardins',
    },
  });
  await c.submit('2027-02-14', {
    ...dossier(1, { ETAT: 2_000_000, EPCI: 1_000_000 }, 1_500_000),
    porteur: { name: 'Association C (fictive)', siret: '81234567800021', contactRef: 'contact-c' },
  });
  await a.eligible('2027-02-20', '2027-04-30');
  await b.eligible('2027-02-20', '2027-03-15');
  await c.eligible('2027-02-20', '2027-04-30');
  await b.commit('ETAT', '2027-03-01');
  await b.opinion('2027-03-02');
  await d.submit('2027-03-05', {
    ...dossier(1, { ETAT: 2_400_000 }, 1_000_000),
    porteur: { name: 'Association D (fictive)', siret: '81234567800039', contactRef: 'contact-d' },
  });
  await d.eligible('2027-03-06', '2027-12-15');
  await a.commit('ETAT', '2027-03-10');
  await c.decline('ETAT', '2027-03-10');
  await a.commit('EPCI', '2027-03-12');
  await c.commit('EPCI', '2027-03-12');
  await a.opinion('2027-03-15');
  await c.opinion('2027-03-15');
  await b.approve('2027-03-20', 'COPIL-2027-03');
  await b.draft('2027-03-25', '2027-04-01', '2027-04-30', [
    { funder: 'ETAT', year: 1, amountCents: 1_000_000, trigger: { kind: 'signature' } },
  ]);
  await b.signByPorteur('2027-04-10');
  await b.sign('ETAT', '2027-04-15');
  // Maubeuge's council deliberated on 10 April; its position was keyed in on the 20th.
  await a.commit(MAUBEUGE, '2027-04-10', '2027-04-20', 'DCM-2027-041');
  await c.reject('2027-04-22', 'COPIL-2027-04', ['EPCI']);
  await a.approve('2027-05-05', 'COPIL-2027-05');
  await a.draft('2027-05-10', '2027-07-01', '2027-06-30');
  await a.signByPorteur('2027-05-20');
  await a.sign('ETAT', '2027-05-25');
  await a.sign('EPCI', '2027-05-27');
  await a.sign(MAUBEUGE, '2027-06-02');
  await d.commit('ETAT', '2027-09-01');
  await d.opinion('2027-09-02');
  await d.approve('2027-11-15', 'COPIL-2027-11');
  await d.draft('2027-11-20', '2028-01-01', '2028-01-31');
  await d.signByPorteur('2027-12-20');
  await d.sign('ETAT', '2028-01-10');
  return { a, b, c, d };
}

/**
 * Edits the data of a stream's first event in the SQLite file, as someone with the file could (the
 * append-only trigger dropped), leaving its stored hash as it was. Works beside an open store (its
 * own connection). Returns the event's position and how to put its data back.
 */
export function editFirstEventInPlace(file: string, stream: string): { position: number; restore(): void } {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    const row = db
      .prepare('SELECT position, data FROM events WHERE stream = ? ORDER BY revision LIMIT 1')
      .get(stream) as { position: number; data: string };
    db.prepare("UPDATE events SET data = json_set(data, '$.forged', 1) WHERE position = ?").run(row.position);
    return {
      position: row.position,
      restore: () => {
        const again = new Database(file);
        try {
          again.prepare('UPDATE events SET data = ? WHERE position = ?').run(row.data, row.position);
        } finally {
          again.close();
        }
      },
    };
  } finally {
    db.close();
  }
}
