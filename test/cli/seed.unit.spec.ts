// `grants seed demo`: a mistake is named in French before the usage (exit 2), nothing is
// seeded then; what was created is on stdout with the steps in French; the progress is on
// stderr, redrawn in place on a terminal, whole lines every few seconds otherwise.
import { EventEmitter } from 'node:events';
import { applicationStatusLabels } from '../../domain/application';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config/config';
import { runSeed, seedProgress, seedUsage, type DemoSeeder } from '../../services/cli/seed';

const silent = pino({ level: 'silent' });
// No engine answers there: nothing here may reach a real one.
const config = loadConfig({ GRANTS_DATA_DIR: '/nonexistent/grants-seed', TEMPORAL_ADDRESS: '127.0.0.1:1' });

function capture(isTTY = false) {
  let out = '';
  let err = '';
  return {
    io: {
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s), isTTY, columns: isTTY ? 200 : undefined },
    },
    out: () => out,
    err: () => err,
  };
}

/** Stands for the running engine: reports progress as the demo campaign does, and records the count. */
function fakeSeeder(seen: number[] = []): DemoSeeder {
  return (_config, { count, onProgress }) => {
    seen.push(count);
    const total = count + 2;
    onProgress({ done: 1, total, label: 'campagne créée et ouverte' });
    const stages = ['under_review', 'co_decision', 'in_force'] as const;
    const applications = Array.from({ length: count }, (_, i) => ({
      id: `01APPLICATION${i}`,
      stage: stages[i % stages.length]!,
    }));
    applications.forEach((a, i) =>
      onProgress({
        done: i + 2,
        total,
        label: `Sambre Avenir (fictive) : ${applicationStatusLabels[a.stage]}`,
      }),
    );
    onProgress({ done: total, total, label: 'terminé' });
    return Promise.resolve({
      campaignId: 'camvs-2027-demo-abcdef',
      applications,
      running: {
        campaignId: 'camvs-2025-demo-ghijkl',
        applications: [
          { id: '01RUNNING0', situation: 'report_overdue' as const },
          { id: '01RUNNING1', situation: 'closed_with_recovery' as const },
        ],
      },
    });
  };
}

// The demo's steps, one application at each: the fewest --count takes, named in the refusal.
const countBounds = '--count attend un nombre de candidatures entre 9 (une à chaque étape) et 1 000';

describe('grants seed', () => {
  it.each([
    [['demo', '--count', '0'], `${countBounds} (reçu : 0).`],
    [['demo', '--count', 'abc'], `${countBounds} (reçu : abc).`],
    [['demo', '--count', '1001'], `${countBounds} (reçu : 1001).`],
    [['demo', '--count', '2.5'], `${countBounds} (reçu : 2.5).`],
    // Below one application a step, some steps would have none: the demo is there to show each.
    [['demo', '--count', '1'], `${countBounds} (reçu : 1).`],
    [['demo', '--count', '8'], `${countBounds} (reçu : 8).`],
    [['foo'], 'Jeu de démonstration inconnu : foo (seul demo existe).'],
    [[], 'Indiquez ce qu’il faut créer : grants seed demo.'],
    [['demo', 'encore'], 'Argument inattendu : encore.'],
    [['demo', '--bogus'], 'Option inconnue : --bogus.'],
    [['demo', '--count'], 'Valeur manquante pour --count.'],
  ])('names the mistake for %j before the usage (exit 2), seeding nothing', async (argv, message) => {
    const c = capture();
    const seen: number[] = [];
    expect(await runSeed(config, silent, argv, c.io, fakeSeeder(seen))).toBe(2);
    expect(c.err()).toBe(`${message}\n\n${seedUsage}`);
    expect(c.out()).toBe('');
    expect(seen).toEqual([]);
  });

  it('prints its usage for --help (exit 0)', async () => {
    const c = capture();
    expect(await runSeed(config, silent, ['--help'], c.io, fakeSeeder())).toBe(0);
    expect(c.out()).toMatch(/^Usage : grants seed demo \[--count N\]/);
  });

  it('says what it created on stdout, with the steps in French, and its progress on stderr', async () => {
    const c = capture(false);
    const seen: number[] = [];
    expect(await runSeed(config, silent, ['demo', '--count', '10'], c.io, fakeSeeder(seen))).toBe(0);
    expect(seen).toEqual([10]);
    expect(c.out()).toBe(
      'Campagne de démonstration : camvs-2027-demo-abcdef\n' +
        '10 candidatures créées, par exemple :\n' +
        '  01APPLICATION0  en instruction (recevabilité)\n' +
        '  01APPLICATION1  en co-décision des financeurs\n' +
        '  01APPLICATION2  convention en vigueur\n' +
        '  01APPLICATION3  en instruction (recevabilité)\n' +
        '  01APPLICATION4  en co-décision des financeurs\n' +
        '  01APPLICATION5  convention en vigueur\n' +
        '  01APPLICATION6  en instruction (recevabilité)\n' +
        '  01APPLICATION7  en co-décision des financeurs\n' +
        '  01APPLICATION8  convention en vigueur\n' +
        'Conventions en cours d’un AMI précédent : camvs-2025-demo-ghijkl\n' +
        '  01RUNNING0  compte rendu en retard (versements suspendus)\n' +
        '  01RUNNING1  clôturée après un reversement\n',
    );
    expect(c.err()).not.toContain('\r');
    expect(c.err()).toContain('1/12 campagne créée et ouverte\n');
    expect(c.err()).toContain('12/12 terminé\n');
    expect(`${c.out()}${c.err()}`).not.toMatch(/under_review|co_decision|in_force/);

    const defaults: number[] = [];
    expect(await runSeed(config, silent, ['demo'], capture().io, fakeSeeder(defaults))).toBe(0);
    expect(defaults).toEqual([27]);
  });

  it('stops after the step under way on Ctrl-C, naming the campaign and what it holds (exit 130)', async () => {
    const signals = new EventEmitter();
    const c = capture(false);
    const steps: string[] = [];
    // Stands for the engine: Ctrl-C comes while the third application is being taken to its step.
    const seeder: DemoSeeder = async (_config, { count, onProgress, onCreated }) => {
      const total = count + 2;
      onCreated({ campaignId: 'camvs-2027-demo-abcdef' });
      steps.push('campagne');
      onProgress({ done: 1, total, label: 'campagne créée et ouverte' });
      for (let i = 0; i < count; i += 1) {
        onCreated({ campaignId: 'camvs-2027-demo-abcdef', applicationId: `01APPLICATION${i}` });
        if (i === 2) signals.emit('SIGINT', 'SIGINT');
        await Promise.resolve();
        steps.push(`candidature ${i}`);
        onProgress({
          done: i + 2,
          total,
          label: `Sambre Avenir (fictive) : ${applicationStatusLabels.under_review}`,
        });
      }
      return Promise.reject(new Error('not reached: the demo stops at the step after the signal'));
    };
    expect(await runSeed(config, silent, ['demo', '--count', '60'], { ...c.io, signals }, seeder)).toBe(130);
    // The step under way ended; none began after it.
    expect(steps).toEqual(['campagne', 'candidature 0', 'candidature 1', 'candidature 2']);
    expect(c.err()).toContain('Interruption demandée (SIGINT) : arrêt après l’étape en cours…\n');
    expect(c.err()).toMatch(
      /Démonstration interrompue : campagne camvs-2027-demo-abcdef, 3 candidatures créées \(sur 60 demandées\)\. Ce qui est créé reste dans le moteur \(API, console\)\.\n$/,
    );
    expect(c.out()).toBe('');
  });

  it('names nothing created when Ctrl-C comes before the campaign (exit 130)', async () => {
    const signals = new EventEmitter();
    const c = capture(false);
    const before: DemoSeeder = (_config, { signal }) => {
      signals.emit('SIGTERM', 'SIGTERM');
      signal.throwIfAborted();
      return Promise.reject(new Error('not reached'));
    };
    expect(await runSeed(config, silent, ['demo'], { ...c.io, signals }, before)).toBe(130);
    expect(c.err()).toContain('Démonstration interrompue : rien n’a été créé.\n');
  });

  it('writes whole lines, one every five seconds and the last, when stderr is not a terminal', () => {
    const c = capture(false);
    let clock = 0;
    const progress = seedProgress(c.io.err, () => clock);
    for (let done = 1; done <= 10; done += 1) {
      progress({
        done,
        total: 10,
        label: `Lire Ensemble (fictive) : ${applicationStatusLabels[done < 10 ? 'approved' : 'rejected']}`,
      });
      clock += 1000;
    }
    expect(c.err().split('\n')).toEqual([
      '[##..................] 1/10 Lire Ensemble (fictive) : approuvée par le comité de pilotage',
      '[############........] 6/10 Lire Ensemble (fictive) : approuvée par le comité de pilotage',
      '[####################] 10/10 Lire Ensemble (fictive) : rejetée',
      '',
    ]);
  });

  it('redraws one line in place on a terminal, ended at the last step', () => {
    const c = capture(true);
    const progress = seedProgress(c.io.err, () => 0);
    progress({ done: 1, total: 2, label: 'campagne créée et ouverte' });
    progress({ done: 2, total: 2, label: 'Sport dans les quartiers (fictive) : retirée' });
    expect(c.err()).toBe(
      '\r[##########..........] 1/2 campagne créée et ouverte\x1b[K' +
        '\r[####################] 2/2 Sport dans les quartiers (fictive) : retirée\x1b[K\n',
    );
  });
});
