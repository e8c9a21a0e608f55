// A grants history produced by the real deciders, as the workflows would write it: a campaign and
// its funders' envelopes, applications driven step by step through decideApplication (the domain's
// Story builder), and the envelope reservations kept in step with each application (reserve before
// its events, release after, like workflows/application/workflow.ts). Every event is recorded with
// a stream revision and a global position, ready to be projected or appended to a real store.
import { randomUUID } from 'node:crypto';
import { ulid } from 'ulid';
import {
  decideCampaign,
  evolveCampaign,
  initialCampaignState,
  toCampaignSnapshot,
  type CampaignCommand,
  type CampaignState,
} from '../../../domain/campaign';
import {
  decideEnvelope,
  envelopeStreamName,
  evolveEnvelope,
  initialEnvelopeState,
  type EnvelopeCommand,
  type EnvelopeState,
} from '../../../domain/envelope';
import {
  applicationStreamName,
  evolveApplication,
  expectedReservations,
  type ApplicationCommand,
  type ApplicationEvent,
  type ApplicationState,
  type Dossier,
  type YearAmount,
} from '../../../domain/application';
import type { Actor, FunderId } from '../../../domain/shared';
import type { RecordedEvent } from '../../../infra/eventstore/port';
import { actors, campaign2027, dossier as sampleDossier, meta, QPV } from '../../domain/support/fixtures';
import { Story } from '../../domain/support/story';

export const CAMPAIGN_ID = campaign2027.campaignId;
export const FUNDERS: FunderId[] = campaign2027.funders;

const systemActor: Actor = { id: 'system', role: 'system' };

export class GrantsWorld {
  readonly events: RecordedEvent[] = [];
  private position = 0n;
  private readonly revisions = new Map<string, bigint>();
  readonly campaigns = new Map<string, CampaignState>();
  readonly envelopes = new Map<string, EnvelopeState>();
  readonly stories: ApplicationStory[] = [];

  /** Records one event as the store would hand it to a subscriber. */
  record(stream: string, type: string, data: unknown, actor: Actor, occurredAt: string): RecordedEvent {
    const revision = (this.revisions.get(stream) ?? -1n) + 1n;
    this.revisions.set(stream, revision);
    this.position += 1n;
    const event: RecordedEvent = {
      id: randomUUID(),
      stream,
      type,
      // What comes back from a store is parsed JSON: no reference shared with the decider's objects.
      data: JSON.parse(JSON.stringify(data)) as unknown,
      metadata: {
        correlationId: `corr-${this.position}`,
        causationId: `cmd-${this.position}`,
        actor: {
          id: actor.id,
          role: actor.role,
          ...(actor.institution ? { institution: actor.institution } : {}),
        },
        occurredAt,
        recordedAt: occurredAt,
        schemaVersion: 1,
        previousHash: null,
        hash: '',
      },
      revision,
      position: this.position,
    };
    this.events.push(event);
    return event;
  }

  campaignCommand(campaignId: string, command: CampaignCommand, actor: Actor, at: string): void {
    const stream = `campaign-${campaignId}`;
    const state = this.campaigns.get(campaignId) ?? initialCampaignState;
    const result = decideCampaign(command, state, meta(actor, at));
    if (!result.ok) throw new Error(`${command.type} refusée : ${result.error.message}`);
    let next = state;
    for (const e of result.events) {
      this.record(stream, e.type, e.data, actor, at);
      next = evolveCampaign(next, e);
    }
    this.campaigns.set(campaignId, next);
    // The campaign workflow opens and adjusts each funder's envelope stream.
    for (const e of result.events) {
      if (e.type === 'CampaignCreated')
        for (const f of e.data.funders)
          this.envelopeCommand(
            campaignId,
            f.funder,
            {
              type: 'OpenEnvelope',
              campaignId,
              funder: f.funder,
              amountCents: f.envelopeCents,
            },
            systemActor,
            at,
          );
      if (e.type === 'FunderEnvelopeAdjusted')
        this.envelopeCommand(
          campaignId,
          e.data.funder,
          {
            type: 'AdjustEnvelope',
            amountCents: e.data.amountCents,
            reason: e.data.reason,
          },
          actor,
          at,
        );
    }
  }

  envelopeCommand(
    campaignId: string,
    funder: FunderId,
    command: EnvelopeCommand,
    actor: Actor,
    at: string,
  ): void {
    const stream = envelopeStreamName(campaignId, funder);
    const state = this.envelopes.get(stream) ?? initialEnvelopeState;
    const result = decideEnvelope(command, state, meta(actor, at));
    if (!result.ok) throw new Error(`${command.type} refusée : ${result.error.message}`);
    let next = state;
    for (const e of result.events) {
      this.record(stream, e.type, e.data, actor, at);
      next = evolveEnvelope(next, e);
    }
    this.envelopes.set(stream, next);
  }

  /** The 2027 CAMVS campaign of the domain fixtures, created and opened. */
  openCampaign(
    options: {
      campaignId?: string;
      envelopes?: Partial<Record<FunderId, number>>;
      multiYearTargetPercent?: number;
    } = {},
  ): this {
    const campaignId = options.campaignId ?? CAMPAIGN_ID;
    const envelopes = options.envelopes ?? Object.fromEntries(FUNDERS.map((f) => [f, 5_000_000_000]));
    this.campaignCommand(
      campaignId,
      {
        type: 'CreateCampaign',
        campaignId,
        year: campaign2027.year,
        name: `AMI Contrat de ville CAMVS ${campaign2027.year}`,
        submissionWindow: campaign2027.submissionWindow,
        themes: campaign2027.themes,
        funders: Object.entries(envelopes).map(([funder, envelopeCents]) => ({
          funder,
          envelopeCents: envelopeCents ?? 0,
        })),
        maxDurationYears: 4,
        publicShareCapPercent: 80,
        multiYearTargetPercent: options.multiYearTargetPercent ?? 50,
        territory: { name: 'CA Maubeuge Val de Sambre', qpvCodes: QPV, qpvReferenceVersion: 'sample' },
      },
      actors.grantManager,
      '2027-01-05T09:00:00.000Z',
    );
    this.campaignCommand(
      campaignId,
      { type: 'OpenCampaign' },
      systemActor,
      campaign2027.submissionWindow.opensAt,
    );
    return this;
  }

  /** A new application story (not yet submitted) on a campaign of this world. */
  application(options: { porteurId?: string; campaignId?: string; now?: string } = {}): ApplicationStory {
    const story = new ApplicationStory(this, {
      applicationId: ulid(),
      campaignId: options.campaignId ?? CAMPAIGN_ID,
      porteur: {
        ...actors.porteur,
        id: `user-${options.porteurId ?? actors.porteur.porteurId}`,
        porteurId: options.porteurId ?? actors.porteur.porteurId,
      },
      now: options.now,
    });
    this.stories.push(story);
    return story;
  }

  /** Records an application's events with the envelope steps its workflow takes around them. */
  applicationEvents(
    story: ApplicationStory,
    before: ApplicationState,
    events: ApplicationEvent[],
    actor: Actor,
  ): void {
    const after = events.reduce(evolveApplication, before);
    const campaignId = story.campaignId;
    const held = reservationsByFunder(before);
    for (const { funder, amountsByYear } of expectedReservations(after)) {
      if (sameAmounts(held.get(funder), amountsByYear)) continue;
      this.envelopeCommand(
        campaignId,
        funder,
        { type: 'ReserveFunds', funder, applicationId: story.applicationId, amountsByYear },
        actor,
        story.now,
      );
    }
    for (const e of events)
      this.record(applicationStreamName(story.applicationId), e.type, e.data, actor, story.now);
    const kept = reservationsByFunder(after);
    for (const funder of held.keys()) {
      if (kept.has(funder)) continue;
      this.envelopeCommand(
        campaignId,
        funder,
        { type: 'ReleaseFunds', applicationId: story.applicationId, reason: `Candidature ${after.status}` },
        systemActor,
        story.now,
      );
    }
  }

  envelope(campaignId: string, funder: FunderId): Extract<EnvelopeState, { status: 'open' }> {
    const state = this.envelopes.get(envelopeStreamName(campaignId, funder));
    if (state?.status !== 'open') throw new Error(`enveloppe ${campaignId}/${funder} non ouverte`);
    return state;
  }
}

function reservationsByFunder(state: ApplicationState): Map<string, YearAmount[]> {
  return new Map(expectedReservations(state).map((r) => [r.funder, r.amountsByYear]));
}

function sameAmounts(a: YearAmount[] | undefined, b: YearAmount[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  const key = (list: YearAmount[]) =>
    [...list]
      .sort((x, y) => x.year - y.year)
      .map((l) => `${l.year}:${l.amountCents}`)
      .join(',');
  return key(a) === key(b);
}

/** The domain's Story, recording into the world, for any application id and porteur. */
export class ApplicationStory extends Story {
  readonly applicationId: string;
  readonly campaignId: string;
  readonly porteur: Actor;
  /** The dossier a scenario prepared for the submission step. */
  pendingDossier: Dossier | undefined;
  private actor: Actor = actors.porteur;

  constructor(
    private readonly world: GrantsWorld,
    options: { applicationId: string; campaignId: string; porteur: Actor; now?: string | undefined },
  ) {
    super(options.now);
    this.applicationId = options.applicationId;
    this.campaignId = options.campaignId;
    this.porteur = options.porteur;
  }

  override do(command: ApplicationCommand, actor: Actor): ApplicationEvent[] {
    // The Story's steps act as the fixtures' porteur: here the application's own porteur acts.
    this.actor = actor.role === 'porteur' ? this.porteur : actor;
    return super.do(command, this.actor);
  }

  override apply(events: ApplicationEvent[]): void {
    this.world.applicationEvents(this, this.state, events, this.actor);
    super.apply(events);
  }

  override submit(d: Dossier = this.pendingDossier ?? sampleDossier(2)): this {
    const campaign = toCampaignSnapshot(this.world.campaigns.get(this.campaignId) ?? initialCampaignState);
    if (campaign === undefined) throw new Error(`campagne ${this.campaignId} inconnue`);
    this.do(
      { type: 'SubmitApplication', applicationId: this.applicationId, campaign, dossier: d },
      this.porteur,
    );
    return this;
  }
}
