// The canonical encoding behind the hash chain: stable across key order and storage round trips,
// and the hand-written fast path equal to the general definition.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalHashedMetadata,
  canonicalJson,
  computeEventHash,
  hashedText,
} from '../../infra/eventstore/hash';
import type { HashInput } from '../../infra/eventstore/hash';

const input: HashInput = {
  id: '0b8f3c9e-5d2a-4f1b-9c3e-7a6b5c4d3e2f',
  stream: 'application-01JEXAMPLE',
  revision: 7n,
  type: 'FundingRequested',
  data: { year: 2025, funder: 'CAF', amountCents: 123_450 },
  metadata: {
    correlationId: 'corr',
    causationId: 'cause',
    actor: { id: 'u-1', role: 'funder', institution: 'CAF' },
    occurredAt: '2026-03-02T10:00:00.000+01:00',
    recordedAt: '2026-03-02T09:00:01.234Z',
    schemaVersion: 2,
    workflowId: 'application-01JEXAMPLE',
  },
  previousHash: 'f'.repeat(64),
};

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'é' }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":"é","z":null}]},"b":1}',
    );
  });

  it('refuses what JSON would silently change', () => {
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(/plain object/);
    expect(() => canonicalJson(Number.NaN)).toThrow(/non-finite/);
    expect(() => canonicalJson(1n)).toThrow(/bigint/);
  });

  it('is the same before and after a JSON round trip (what storage does), whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const stored: unknown = JSON.parse(JSON.stringify(value));
        expect(canonicalJson(stored)).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(stored);
      }),
    );
  });
});

describe('the hashed text', () => {
  const text = fc.string({ maxLength: 20 });
  const metadataArb = fc.record(
    {
      correlationId: text,
      causationId: text,
      actor: fc.record({ id: text, role: text, institution: text }, { requiredKeys: ['id', 'role'] }),
      occurredAt: text,
      recordedAt: text,
      schemaVersion: fc.integer({ min: 1, max: 9 }),
      workflowId: text,
      runId: text,
    },
    { requiredKeys: ['correlationId', 'causationId', 'actor', 'occurredAt', 'recordedAt', 'schemaVersion'] },
  );

  it('hand-written metadata encoding equals canonicalJson', () => {
    fc.assert(
      fc.property(metadataArb, (m) => {
        expect(canonicalHashedMetadata(m)).toBe(canonicalJson(m));
      }),
    );
  });

  it('is canonicalJson of { v, id, stream, revision, type, data, metadata, previousHash }', () => {
    fc.assert(
      fc.property(
        metadataArb,
        fc.jsonValue(),
        text,
        fc.option(text, { nil: null }),
        (metadata, data, stream, previousHash) => {
          const spec = canonicalJson({
            v: 1,
            id: input.id,
            stream,
            revision: '12',
            type: 'T',
            data,
            metadata,
            previousHash,
          });
          expect(
            hashedText(
              { id: input.id, stream, revision: 12n, type: 'T', previousHash },
              canonicalJson(data),
              canonicalHashedMetadata(metadata),
            ),
          ).toBe(spec);
        },
      ),
    );
  });

  it('is SHA-256 of that text, and changes with any field', () => {
    const expected = createHash('sha256')
      .update(canonicalJson({ ...input, revision: '7', v: 1 }))
      .digest('hex');
    expect(computeEventHash(input)).toBe(expected);
    // Pinned: changing the scheme must be deliberate (and bump HASH_SCHEME_VERSION).
    expect(computeEventHash(input)).toMatchInlineSnapshot(
      `"203ed8fd2889a167989b3dc4e1d245ccb842db75e802992d686547f5c94d9550"`,
    );
    expect(computeEventHash({ ...input, revision: 8n })).not.toBe(expected);
    expect(
      computeEventHash({ ...input, metadata: { ...input.metadata, recordedAt: '2026-03-02T09:00:01.235Z' } }),
    ).not.toBe(expected);
    expect(computeEventHash({ ...input, previousHash: null })).not.toBe(expected);
    expect(
      computeEventHash({ ...input, data: { ...(input.data as object), amountCents: 123_451 } }),
    ).not.toBe(expected);
  });
});
