// The README's configuration table and docs/http.md's problem codes are what operators and client
// authors read instead of the code: these keep them in step with it, as compose.unit.spec.ts does for
// docker-compose.yml. A variable or a code added to the code without its line in the docs fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { domainErrorCodes } from '../../domain/shared/errors';
import { configSchema } from '../../infra/config/config';
import { problemTypes } from '../../services/http/platform/problem';

const root = new URL('../../', import.meta.url).pathname;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The rows of the Markdown table that follows `heading`, each as its trimmed cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  expect(start, `${heading} in the document`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of markdown.slice(start).split('\n').slice(1)) {
    if (line.startsWith('|'))
      rows.push(
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    else if (rows.length > 0) break;
  }
  return rows.slice(2); // the header and its rule
}

const backticked = (cell: string): string[] => [...cell.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');

describe('README, « Configuration »', () => {
  const rows = tableAfter(read('README.md'), '## Configuration');
  const documented = rows.flatMap(([names = '']) => backticked(names));
  const defaults = configSchema.parse({}) as Record<string, unknown>;

  it('lists every variable infra/config reads, and none it does not', () => {
    expect([...documented].sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it('gives each variable the default the schema applies', () => {
    for (const [names = '', defaultCell = ''] of rows) {
      const variables = backticked(names);
      const values = backticked(defaultCell);
      // A default said in words (one per core, generated, unset → …) is not a value to compare.
      if (values.length === 0) continue;
      variables.forEach((variable, i) => {
        const value = defaults[variable];
        // The defaults are strings, numbers and booleans; an optional variable has none.
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return;
        expect(values[values.length === 1 ? 0 : i], variable).toBe(String(value));
      });
    }
  });
});

describe('docs/http.md, problem codes', () => {
  const http = read('docs/http.md');
  const named = { has: (code: string) => http.includes(`\`${code}\``) };

  /**
   * Codes a problem document carries, as the HTTP services write them: `code: 'X'`, `code = 'X'`, or a
   * SCREAMING_SNAKE literal closing a call (`new NotFoundError(detail, 'STREAM_NOT_FOUND')`).
   */
  function codesInSource(): Map<string, string> {
    const files = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? files(join(dir, entry.name))
          : entry.name.endsWith('.ts')
            ? [join(dir, entry.name)]
            : [],
      );
    const found = new Map<string, string>();
    // The HTTP side only: the CLI's own constants (ERR_PARSE_ARGS…) are no problem codes.
    const httpDirs = [
      'services/http',
      'services/commands',
      'services/queries',
      'services/audit',
      'services/console',
    ];
    for (const file of [...httpDirs.flatMap(files), 'workflows/client.ts']) {
      const text = read(file);
      for (const m of text.matchAll(
        /\bcode(?::|\s*=)\s*'([A-Z][A-Z0-9_]+)'|(?<![=!]==\s*)'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)',?\s*\)/g,
      ))
        found.set(m[1] ?? m[2] ?? '', file);
    }
    return found;
  }

  /**
   * The problem types' own codes that no answer carries: each emitter of these kinds names its own
   * code, and no route appends to the event store, so a store conflict (409) never reaches HTTP
   * (docs/http.md: the API answers no 409).
   */
  const neverAnswered = new Set([
    'BAD_REQUEST',
    'UNAUTHENTICATED',
    'FORBIDDEN',
    'DOMAIN_REFUSAL',
    'CONCURRENCY_CONFLICT',
  ]);

  it('names every code of the domain', () => {
    expect(domainErrorCodes.filter((code) => !named.has(code))).toEqual([]);
  });

  it('names every code the services answer with', () => {
    const missing = [...codesInSource()]
      .filter(([code]) => !neverAnswered.has(code) && !named.has(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('has a row, with its status, for every problem type the API answers', () => {
    const rows = tableAfter(http, '## Errors: RFC 9457 problem details');
    for (const [kind, { status }] of Object.entries(problemTypes)) {
      if (kind === 'conflict') continue; // no 409 (above)
      const row = rows.find(([, anchors = '']) => backticked(anchors).includes(kind));
      expect(row?.[0], `problem type ${kind}`).toBe(String(status));
    }
  });
});
