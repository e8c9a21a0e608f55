// Event definitions for the store, and the one real schema evolution: ApplicationSubmitted v1 → v2.
import { describe, expect, it } from 'vitest';
import {
  allEventDefinitions,
  applicationEventDefinitions,
  applicationSubmittedSchema,
  evolveApplication,
  initialApplicationState,
  upcastApplicationSubmittedV1,
} from '../../domain';
import { APPLICATION_ID, dossier } from './support/fixtures';
import { Story } from './support/story';

/** What the store does on read: run the upcasters from the stored version up to the current one. */
function upcast(type: string, storedVersion: number, data: unknown): unknown {
  const definition = allEventDefinitions.find((d) => d.type === type);
  if (!definition) throw new Error(`type inconnu ${type}`);
  let current = data;
  const upcasters: Record<number, (data: unknown) => unknown> =
    'upcasters' in definition ? definition.upcasters : {};
  for (let v = storedVersion; v < definition.version; v++) {
    const step = upcasters[v];
    if (!step) throw new Error(`pas d'upcaster ${type} v${v}`);
    current = step(current);
  }
  return definition.schema.parse(current);
}

describe('event definitions', () => {
  it('cover every event type once, across the three aggregates', () => {
    const types = allEventDefinitions.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toContain('CampaignCreated');
    expect(types).toContain('FundsReserved');
    expect(applicationEventDefinitions).toHaveLength(27);
  });

  it('carry no personal data: a full story has no e-mail or phone number in its events', () => {
    const story = new Story()
      .submit(dossier(1))
      .on('2027-04-12')
      .declareEligible('2027-05-31')
      .on('2027-05-05')
      .commitAll()
      .opinion();
    const text = JSON.stringify(story.events);
    expect(text).not.toMatch(/@|(\+33|0)[1-9](\s?\d{2}){4}/);
    expect(text).toContain('"contactRef":"contact-7f3a9c"');
  });
});

describe('ApplicationSubmitted v1 → v2', () => {
  const v2 = () => {
    const story = new Story().submit(dossier(2));
    const event = story.events[0];
    if (event?.type !== 'ApplicationSubmitted') throw new Error('ApplicationSubmitted attendu');
    return event.data;
  };
  // Version 1 as stored in 2026: no otherResourcesCents, the requests covered the whole cost.
  const v1 = () => {
    const data = structuredClone(v2());
    return {
      ...data,
      dossier: {
        ...data.dossier,
        budget: data.dossier.budget.map(({ year, requested }) => ({
          year,
          totalCostCents: requested.reduce((a, r) => a + r.amountCents, 0),
          requested,
        })),
      },
    };
  };

  it('v1 data does not satisfy the v2 schema as is', () => {
    expect(applicationSubmittedSchema.safeParse(v1()).success).toBe(false);
  });

  it('gains otherResourcesCents = 0 on every budget line, and then folds like any event', () => {
    const upcasted = upcast('ApplicationSubmitted', 1, v1());
    const data = applicationSubmittedSchema.parse(upcasted);
    expect(data.dossier.budget.map((b) => b.otherResourcesCents)).toEqual([0, 0]);
    expect(data.dossier.budget[0]?.totalCostCents).toBe(2_000_000);
    const state = evolveApplication(initialApplicationState, {
      type: 'ApplicationSubmitted',
      data,
    });
    expect(state.status).toBe('under_review');
    expect(upcastApplicationSubmittedV1(v1())).toEqual(upcasted);
  });

  it('leaves current (v2) data alone on read', () => {
    expect(upcast('ApplicationSubmitted', 2, v2())).toEqual(v2());
  });

  it('refuses data that is not v1 either', () => {
    expect(() => upcastApplicationSubmittedV1({ applicationId: APPLICATION_ID })).toThrow();
  });
});
