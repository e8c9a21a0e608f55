// The docs page's script run against a minimal stand-in DOM (no browser on the build machines):
// elements with attributes, children, text and listeners, and the few document methods it calls.
import { docsPageScript } from '../../services/http/platform/docsPage';

export class FakeNode {
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

/**
 * Runs the page's script on `doc` (as if /api/openapi.json had answered it) with the URL's hash, and
 * resolves once it has rendered: the page's root and its sections by id.
 */
export async function renderDocsPage(
  doc: unknown,
  hash = '',
): Promise<{ root: FakeNode; ids: Map<string, FakeNode> }> {
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
  page(document, fetch, { hash });
  for (const listener of listeners) listener();
  await new Promise((resolve) => setTimeout(resolve, 0));
  return { root, ids };
}
