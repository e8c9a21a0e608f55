// The typed-event registry: validation on append naming the field, and upcasting on read — shown
// with a realistic upcaster (v1 amount in euros as a decimal string → v2 integer cents).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventValidationError, UnknownEventTypeError } from '../../infra/eventstore/errors';
import { createEventRegistry, defineEvent } from '../../infra/eventstore/registry';
import { FundingRequested, StepRecorded, metadata } from './fixtures/events';

const where = { stream: 'application-01J', revision: 3n, position: 42n, id: randomUUID() };
const registry = createEventRegistry([StepRecorded, FundingRequested]);

describe('upcasting FundingRequested v1 (euros as a decimal string) to v2 (integer cents)', () => {
  it.each([
    ['1234.5', 123_450],
    ['1234.50', 123_450],
    ['0.05', 5],
    ['80', 8_000],
    ['23000.99', 2_300_099],
  ])('amount "%s" → %i cents', (amount, cents) => {
    expect(registry.decode('FundingRequested', 1, { funder: 'CAF', year: 2025, amount }, where)).toEqual({
      funder: 'CAF',
      year: 2025,
      amountCents: cents,
    });
  });

  it('reads current-version data as is, validated', () => {
    expect(
      registry.decode('FundingRequested', 2, { funder: 'ETAT', year: 2026, amountCents: 7 }, where),
    ).toEqual({
      funder: 'ETAT',
      year: 2026,
      amountCents: 7,
    });
  });

  it('reports a stored v1 event that does not fit the v1 schema, with its place', () => {
    const read = () =>
      registry.decode('FundingRequested', 1, { funder: 'CAF', year: 2025, amount: '12,50' }, where);
    expect(read).toThrow(EventValidationError);
    try {
      read();
    } catch (error) {
      expect(error).toMatchObject({
        stage: 'read',
        path: 'data@v1.amount',
        where: { stream: where.stream, revision: where.revision, position: where.position },
      });
      expect((error as Error).message).toContain('montant en euros');
    }
  });

  it('says in French what a stored event that no longer fits its schema has wrong (a changed type)', () => {
    const read = () =>
      registry.decode('FundingRequested', 2, { funder: 'ETAT', year: '2026', amountCents: 7 }, where);
    expect(read).toThrow(EventValidationError);
    expect(read).toThrow(
      `Événement FundingRequested (${where.id}) invalide : data.year — Nombre attendu. ` +
        `[flux ${where.stream}, révision 3, position 42]`,
    );
  });

  it('refuses a version newer than the code knows, and an unknown type', () => {
    expect(() => registry.decode('FundingRequested', 3, {}, where)).toThrow(UnknownEventTypeError);
    expect(() => registry.decode('Nope', 1, {}, where)).toThrow(UnknownEventTypeError);
  });

  it('insists on an upcaster for every older version when the registry is built', () => {
    const v3 = defineEvent({ type: 'X', version: 3, schema: z.object({}), upcasters: { 1: (d) => d } });
    expect(() => createEventRegistry([v3])).toThrow(/no upcaster from version 2 to 3/);
    expect(() => createEventRegistry([StepRecorded, StepRecorded])).toThrow(/defined twice/);
  });
});

describe('validation on append', () => {
  const event = (data: unknown, overrides: object = {}) => ({
    id: randomUUID(),
    type: 'FundingRequested',
    data,
    metadata: metadata(),
    ...overrides,
  });

  it('returns the validated data and the current version', () => {
    expect(registry.prepareForAppend(event({ funder: 'CAF', year: 2025, amountCents: 10 }))).toEqual({
      data: { funder: 'CAF', year: 2025, amountCents: 10 },
      schemaVersion: 2,
    });
  });

  it('names the offending field', () => {
    const attempt = (e: ReturnType<typeof event>) => {
      try {
        registry.prepareForAppend(e);
      } catch (error) {
        return error as EventValidationError;
      }
      throw new Error('accepted');
    };
    expect(attempt(event({ funder: 'CAF', year: 2025, amountCents: 1.5 }))).toMatchObject({
      path: 'data.amountCents',
      stage: 'append',
    });
    expect(attempt(event({ funder: 'CAF', year: 2025 }))).toMatchObject({ path: 'data.amountCents' });
    expect(
      attempt(
        event(
          { funder: 'CAF', year: 2025, amountCents: 1 },
          { metadata: { ...metadata(), occurredAt: 'hier' } },
        ),
      ),
    ).toMatchObject({
      path: 'metadata.occurredAt',
    });
    expect(attempt(event({ funder: 'CAF', year: 2025, amountCents: 1 }, { type: '$system' }))).toMatchObject({
      path: 'type',
    });
  });

  it('lets tools without the definitions pass unknown types through, when asked', () => {
    const loose = createEventRegistry([], { unknownTypes: 'passthrough' });
    expect(loose.prepareForAppend(event({ anything: true }, { type: 'Foreign' }))).toEqual({
      data: { anything: true },
      schemaVersion: 1,
    });
    expect(loose.decode('Foreign', 7, { anything: true }, where)).toEqual({ anything: true });
    expect(() => registry.prepareForAppend(event({}, { type: 'Foreign' }))).toThrow(UnknownEventTypeError);
  });
});
