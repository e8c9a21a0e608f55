// The docs page's script, run against a minimal stand-in DOM (no browser on the build machines):
// it must render every route, problem type and schema of a real document without throwing.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { docsPageScript } from '../../services/http/platform/docsPage';
import { createApiDocumentation } from '../../services/http/platform/openapi';

class FakeNode {
  children: FakeNode[] = [];
  attributes: Record<string, string> = {};
  listeners: Record<string, ((event: { target: FakeNode }) => void)[]> = {};
  hidden = false;
  className = '';
  value = '';
  private text = '';
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: string) {
    this.attributes[name] = value;
  }
  getAttribute(name: string) {
    return this.attributes[name] ?? null;
  }
  appendChild(child: FakeNode) {
    this.children.push(child);
    return child;
  }
  addEventListener(type: string, listener: (event: { target: FakeNode }) => void) {
    (this.listeners[type] ??= []).push(listener);
  }
  scrollIntoView() {}
  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  set textContent(value: string) {
    this.text = value;
    this.children = [];
  }
  all(): FakeNode[] {
    return [this, ...this.children.flatMap((c) => c.all())];
  }
}

function runPage(doc: unknown) {
  const ids = new Map(
    ['meta', 'filter', 'operations', 'problems', 'schemas'].map((id) => [id, new FakeNode(id)]),
  );
  const root = new FakeNode('body');
  for (const node of ids.values()) root.appendChild(node);
  const listeners: (() => void)[] = [];
  const document = {
    createElement: (tag: string) => new FakeNode(tag),
    createTextNode: (text: string) => {
      const node = new FakeNode('#text');
      node.textContent = text;
      return node;
    },
    getElementById: (id: string) => ids.get(id) ?? root.all().find((n) => n.attributes.id === id) ?? null,
    querySelectorAll: (selector: string) => {
      if (selector !== 'details.op') throw new Error(`sélecteur non simulé : ${selector}`);
      return root.all().filter((n) => n.tag === 'details' && n.attributes.class === 'op');
    },
    addEventListener: (type: string, listener: () => void) => {
      if (type === 'DOMContentLoaded') listeners.push(listener);
    },
  };
  const fetch = () => Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(doc) });
  // The script is a string served to browsers; here it runs against the stand-ins above.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const page = new Function('document', 'fetch', 'location', docsPageScript) as (...args: unknown[]) => void;
  page(document, fetch, { hash: '#problem-conflict' });
  for (const listener of listeners) listener();
  return { root, ids };
}

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
    const { root, ids } = runPage(docs.document());
    await new Promise((resolve) => setTimeout(resolve, 0));

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
