// The docs page's script, run against a stand-in DOM (docsPageDom.ts): it must render every route, problem type and schema of a real document without throwing.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiDocumentation } from '../../services/http/platform/openapi';
import { renderDocsPage } from './docsPageDom';

describe('docs page script', () => {
  it('renders routes, parameters, bodies, responses, problem types and schemas', async () => {
    const docs = createApiDocumentation({ title: 'API', version: '9' });
    const body = docs.registerSchema(
      'Application',
      z.strictObject({
        title: z.string().min(3),
        years: z.array(z.strictObject({ year: z.number().int(), amountCents: z.number().int() })),
        theme: z.enum(['1.1', '1.2']),
      }),
    );
    docs.registerRoute({
      method: 'post',
      path: '/applications/{id}',
      summary: 'Dépose un dossier',
      security: docs.bearerSecurity,
      request: {
        params: z.object({ id: z.string() }),
        body: { content: { 'application/json': { schema: body } } },
      },
      responses: { 201: { description: 'Déposé' }, ...docs.problemResponses(400, 422) },
    });
    const { root, ids } = await renderDocsPage(docs.document(), '#problem-conflict');

    expect(ids.get('meta')?.textContent).toContain('OpenAPI 3.1.0');
    const operations = ids.get('operations')?.textContent ?? '';
    expect(operations).toContain('/applications/{id}');
    expect(operations).toContain('Dépose un dossier');
    expect(operations).toContain('Application');
    expect(operations).toContain('422');
    expect(ids.get('problems')?.textContent).toContain('DOMAIN_REFUSAL');
    const schemas = ids.get('schemas')?.textContent ?? '';
    expect(schemas).toContain('amountCents');
    expect(schemas).toContain('aucun autre champ accepté');
    expect(root.all().some((n) => n.attributes.id === 'problem-conflict')).toBe(true);

    // The filter hides what does not match.
    const filter = ids.get('filter');
    if (filter === undefined) throw new Error('pas de filtre');
    filter.value = 'nothing-matches';
    for (const listener of filter.listeners.input ?? []) listener({ target: filter });
    expect(
      root
        .all()
        .filter((n) => n.tag === 'details')
        .every((n) => n.hidden),
    ).toBe(true);
  });
});
