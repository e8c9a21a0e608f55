// The docs page shows what the document says of each operation beyond its schemas: its operationId,
// whether its body is required, and the header parameters and response headers it shares with others
// as components (#/components/parameters, #/components/headers), resolved where they are used.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiDocumentation } from '../../services/http/platform/openapi';
import { renderDocsPage } from './docsPageDom';

describe('docs page: operations', () => {
  it('shows the operationId, the body’s requirement, shared header parameters and response headers', async () => {
    const docs = createApiDocumentation({ title: 'API', version: '1' });
    for (const [operationId, path, body] of [
      ['signThing', '/things/{id}/signatures', z.strictObject({})],
      ['reviewThing', '/things/{id}/review', z.strictObject({ decision: z.enum(['ok', 'ko']) })],
    ] as const)
      docs.registerRoute({
        method: 'post',
        path,
        operationId,
        parameters: [docs.headerParameters.ifMatch, docs.headerParameters.idempotencyKey],
        request: {
          params: z.object({ id: z.string() }),
          body: { required: !body.safeParse({}).success, content: { 'application/json': { schema: body } } },
        },
        responses: {
          200: { description: 'Fait', headers: { ETag: docs.responseHeaders.streamETag } },
          ...docs.problemResponses(400, 413, 415),
        },
      });
    const { root } = await renderDocsPage(docs.document());
    const operation = (id: string) => root.all().find((n) => n.attributes.id === `op-${id}`);
    const sign = operation('signThing')?.textContent ?? '';
    expect(sign).toContain('operationId : signThing');
    expect(sign).toContain('Corps de la requête (facultatif');
    expect(sign).toContain('If-Match');
    expect(sign).toContain('Idempotency-Key');
    expect(sign).toContain('412');
    expect(sign).toContain('ETag — Révision du flux');
    expect(operation('reviewThing')?.textContent).toContain('Corps de la requête (obligatoire)');
    expect(operation('reviewThing')?.attributes['data-search']).toContain('reviewthing');
  });
});
