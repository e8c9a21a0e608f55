// « Why not the other actions? » on an application's page (services/console/static/whyNot.js, the
// browser module itself, loaded in Node: it imports nothing), read against the domain's own refusals
// (notNowApplicationCommands, what the API's `notNow` answers) in every situation, for every role
// that sends commands: the « what is possible instead » ending is never repeated, every command is
// accounted for, refusals of one stage are one sentence, a file that is over is one short sentence.
import { beforeAll, describe, expect, it } from 'vitest';
import { notNowApplicationCommands, type Actor } from '../../domain';
import { actors, MAUBEUGE } from '../domain/support/fixtures';
import { applicationSituations } from '../domain/support/situations';

type Refusal = { type: string; label: string; code: string; message: string };
interface WhyNotModule {
  withoutEnding(message: string): string;
  whyNot(notNow: Refusal[] | undefined): { sentence?: string; items: { title?: string; text: string }[] };
}

let why: WhyNotModule;

beforeAll(async () => {
  // A browser file without types: imported by URL, its shape stated here.
  const url = new URL('../../services/console/static/whyNot.js', import.meta.url).href;
  why = (await import(url)) as WhyNotModule;
});

const people: [string, Actor][] = [
  ['chargé de mission', actors.grantManager],
  ['porteur', actors.porteur],
  ['financeur (État)', actors.funder('ETAT')],
  ['financeur (Maubeuge)', actors.funder(MAUBEUGE)],
  ['conseil citoyen', actors.citizenCouncil],
];
const ending = /Possible maintenant pour vous|En attente de :|Plus aucune action n'est possible/;
const all = (said: ReturnType<WhyNotModule['whyNot']>): string[] =>
  said.sentence !== undefined ? [said.sentence] : said.items.map((i) => `${i.title ?? ''} ${i.text}`);

describe('whyNot', () => {
  it.each(applicationSituations().map((s) => [s.name, s.story] as const))(
    'in situation « %s »: every refusal said, none with its ending, one sentence per stage',
    (_name, story) => {
      for (const [who, actor] of people) {
        const notNow = notNowApplicationCommands(story.state, actor);
        const said = why.whyNot(notNow);
        const texts = all(said);
        const where = `${who} : ${JSON.stringify(said)}`;
        if (notNow.length === 0) {
          expect(texts, where).toEqual([]);
          continue;
        }
        for (const text of texts) expect(text, where).not.toMatch(ending);
        // Never more lines than refusals; one reason for all, one sentence.
        expect(said.items.length, where).toBeLessThanOrEqual(notNow.length);
        const codes = new Set(notNow.map((n) => n.code));
        // A stage says the steps already passed apart from those still to come.
        const verdicts = new Set(
          notNow.map((n) => /n'est (plus|pas encore|pas) possible/.exec(n.message)?.[1]),
        );
        if (codes.size === 1 && verdicts.size === 1 && notNow.length > 1)
          expect(said.sentence, where).toBeDefined();
        if (codes.size === 1 && !codes.has('TERMINAL_STATE'))
          expect(said.items.length, where).toBeLessThanOrEqual(verdicts.size);
        if (codes.has('TERMINAL_STATE'))
          expect(said.sentence, where).toMatch(/^La candidature .+ : plus aucune action n’est possible\.$/);
        // Each command refused is named, by its label or by the API's message (a terminal file aside).
        else
          for (const n of notNow) {
            const label = n.label;
            const named = texts.some(
              (t) =>
                t.toLowerCase().includes(label.replace(/^(la |le |l’)/, '').toLowerCase()) ||
                t.includes(why.withoutEnding(n.message)),
            );
            expect(named, `${n.type} — ${where}`).toBe(true);
          }
      }
    },
  );

  it('says the steps an approved application has passed « plus possibles », those to come « pas encore »', () => {
    const approved = applicationSituations().find((s) => s.name === 'approved');
    const said = why.whyNot(
      notNowApplicationCommands(approved!.story.state, people.find(([w]) => w === 'chargé de mission')![1]),
    );
    const texts = all(said);
    expect(texts.find((t) => t.includes('la déclaration de recevabilité'))).toMatch(
      /ne sont plus possibles\.$/,
    );
    expect(texts.find((t) => t.includes('la clôture du dossier'))).toMatch(/ne sont pas encore possibles\.$/);
    expect(texts.find((t) => t.includes('la déclaration de recevabilité'))).not.toContain(
      'la clôture du dossier',
    );
  });

  it('says the stage once for the grant manager of an application under review', () => {
    const message = (label: string) =>
      `La candidature est en cours d'instruction (recevabilité) : ${label} n'est pas possible à ce stade. Possible maintenant pour vous : la déclaration de recevabilité ; la demande de compléments.`;
    expect(
      why.whyNot([
        ...(
          [
            ['RecordCommitteeApproval', "l'approbation du comité de pilotage"],
            ['DraftConvention', 'la rédaction de la convention'],
            ['OrderPayment', "l'ordre de paiement"],
          ] as const
        ).map(([type, label]) => ({ type, label, code: 'UNDER_REVIEW', message: message(label) })),
      ]),
    ).toEqual({
      sentence:
        "La candidature est en cours d'instruction (recevabilité) : l'approbation du comité de pilotage, la rédaction de la convention et l'ordre de paiement ne sont pas possibles à ce stade.",
      items: [],
    });
  });

  it('keeps a reason of its own beside the stage, with the commands it stops, named once', () => {
    const said = why.whyNot([
      {
        type: 'SubmitApplication',
        label: 'le dépôt de la candidature',
        code: 'ALREADY_SUBMITTED',
        message: "Cette candidature a déjà été déposée : le dépôt de la candidature n'est plus possible.",
      },
      {
        type: 'SignConvention',
        label: 'la signature de la convention',
        code: 'FORBIDDEN_ROLE',
        message:
          "La signature de la convention : plus rien n'est attendu de vous (porteur de projet) à ce stade ; reste attendu : financeur (État).",
      },
    ]);
    expect(said).toEqual({
      items: [
        {
          title: 'Dépôt de la candidature',
          text: "Cette candidature a déjà été déposée : le dépôt de la candidature n'est plus possible.",
        },
        {
          text: "La signature de la convention : plus rien n'est attendu de vous (porteur de projet) à ce stade ; reste attendu : financeur (État).",
        },
      ],
    });
    expect(why.whyNot([])).toEqual({ items: [] });
    expect(why.whyNot(undefined)).toEqual({ items: [] });
  });
});
