// The docs page shows what the document says of each operation beyond its schemas: its operationId,
// whether its body is required, and the header parameters and response headers it shares with others
// as components (#/components/parameters, #/components/headers), resolved where they are used.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { docsPageScript } from '../../services/http/platform/docsPage';
import { createApiDocumentation } from '../../services/http/platform/openapi';

/** The least of a DOM the script uses: elements with attributes, children and text. */
class Node {
  children: Node[] = [];
  attributes: Record<string, string> = {};
  className = '';
  private text = '';
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: string) {
    this.attributes[name] = value;
  }
  getAttribute(name: string) {
    return this.attributes[name] ?? null;
  }
  appendChild(child: Node) {
    this.children.push(child);
    return child;
  }
  addEventListener() {}
  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  set textContent(value: string) {
    this.text = value;
    this.children = [];
  }
  all(): Node[] {
    return [this, ...this.children.flatMap((c) => c.all())];
  }
}

async function render(doc: unknown): Promise<Node> {
  const root = new Node('body');
  const ids = new Map(
    ['meta', 'filter', 'operations', 'problems', 'schemas'].map((id) => [id, new Node(id)]),
  );
  for (const node of ids.values()) root.appendChild(node);
  let ready: () => void = () => undefined;
  const document = {
    createElement: (tag: string) => new Node(tag),
    createTextNode: (text: string) => {
      const node = new Node('#text');
      node.textContent = text;
      return node;
    },
    getElementById: (id: string) => ids.get(id) ?? null,
    addEventListener: (_type: string, listener: () => void) => {
      ready = listener;
    },
  };
  const fetch = () => Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(doc) });
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const page = new Function('document', 'fetch', 'location', docsPageScript) as (...args: unknown[]) => void;
  page(document, fetch, { hash: '' });
  ready();
  await new Promise((resolve) => setTimeout(resolve, 0));
  return root;
}

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
    const root = await render(docs.document());
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
