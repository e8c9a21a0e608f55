// The console shows a status in the API's words (services/console/static/lib.js, statusLabels), and
// the API in the domain's (the words of its refusals, with a capital): one set of words everywhere,
// so that a badge and a refusal never name the same status two ways.
import { describe, expect, it } from 'vitest';
import { applicationStatuses, applicationStatusLabels as domainLabels } from '../../domain/application';
import { applicationStatusLabels } from '../../services/readModels/applications/facts';

describe('the status labels', () => {
  it('are the domain’s words, capitalised, in the API and in the console alike', async () => {
    // A browser file without types: imported by URL, its shape stated here.
    const console = (await import(
      new URL('../../services/console/static/statusLabels.js', import.meta.url).href
    )) as {
      statusLabels: Record<string, string>;
    };
    for (const status of applicationStatuses) {
      const domain = domainLabels[status];
      expect(applicationStatusLabels[status]).toBe(domain.charAt(0).toUpperCase() + domain.slice(1));
    }
    expect(console.statusLabels).toEqual(applicationStatusLabels);
  });
});
