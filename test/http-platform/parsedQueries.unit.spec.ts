// Query strings parsed once per schema (services/http/platform/validate.ts): the same string gives
// the same output without reading req.query (Express parses it at every read) nor running zod again;
// a refused string is refused every time; the outputs, shared between requests, cannot be changed.
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../services/http/platform/problem';
import { PARSED_QUERIES_PER_SCHEMA, parseRequest } from '../../services/http/platform/validate';

/** A request as Express hands it over: `query` is a getter parsing the URL's query string. */
function requestFor(url: string): { req: Request; reads: () => number } {
  let reads = 0;
  const req = {
    url,
    params: {},
    headers: {},
    get query() {
      reads++;
      return Object.fromEntries(new URLSearchParams(url.split('?')[1] ?? ''));
    },
  };
  return { req: req as unknown as Request, reads: () => reads };
}

const listQuery = () =>
  z.strictObject({
    campaignId: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  });

describe('query strings parsed once', () => {
  it('gives the same frozen output for the same string, without parsing it again', () => {
    const schema = listQuery();
    const first = requestFor('/api/applications?campaignId=CDV-2026&limit=50');
    const second = requestFor('/api/applications?campaignId=CDV-2026&limit=50');
    const a = parseRequest(first.req, { query: schema }).query;
    const b = parseRequest(second.req, { query: schema }).query;
    expect(a).toEqual({ campaignId: 'CDV-2026', limit: 50 });
    expect(b).toBe(a);
    expect(first.reads()).toBe(1);
    expect(second.reads()).toBe(0);
    expect(Object.isFrozen(a)).toBe(true);
    expect(() => {
      (a as { limit?: number }).limit = 500;
    }).toThrow(TypeError);

    const other = parseRequest(requestFor('/api/applications?limit=7').req, { query: schema }).query;
    expect(other).toEqual({ limit: 7 });
  });

  it('refuses a bad string every time, and keeps nothing of it', () => {
    const schema = listQuery();
    for (let attempt = 0; attempt < 2; attempt++) {
      const bad = requestFor('/api/applications?limit=0&colour=bleu');
      expect(() => parseRequest(bad.req, { query: schema })).toThrow(ValidationError);
      expect(bad.reads()).toBe(1);
    }
    const good = requestFor('/api/applications?limit=3');
    expect(parseRequest(good.req, { query: schema }).query).toEqual({ limit: 3 });
  });

  it("reads the query only when asked for, and lists its errors with the params' ones", () => {
    const schema = listQuery();
    const paramsOnly = requestFor('/api/applications?limit=abc');
    expect(() => parseRequest(paramsOnly.req, { params: z.strictObject({}) })).not.toThrow();
    expect(paramsOnly.reads()).toBe(0);

    const both = requestFor('/api/applications?limit=abc');
    Object.assign(both.req, { params: { id: '' } });
    let refusal: unknown;
    try {
      parseRequest(both.req, { params: z.strictObject({ id: z.string().min(1) }), query: schema });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).errors?.map((e) => e.in).sort()).toEqual(['params', 'query']);
  });

  it('forgets the oldest strings beyond its bound', () => {
    const schema = listQuery();
    const first = parseRequest(requestFor('/x?limit=1').req, { query: schema }).query;
    for (let i = 0; i < PARSED_QUERIES_PER_SCHEMA; i++)
      parseRequest(requestFor(`/x?campaignId=c${i}`).req, { query: schema });
    const again = requestFor('/x?limit=1');
    const parsed = parseRequest(again.req, { query: schema }).query;
    expect(parsed).toEqual(first);
    expect(parsed).not.toBe(first);
    expect(again.reads()).toBe(1);
  });
});
