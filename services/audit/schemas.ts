// What the audit API accepts (parsed with these, documented with these) and what it answers
// (documented). Positions and revisions travel as decimal strings: they are 64-bit in the store.
import { z } from 'zod';
import { funderIdSchema } from '../../domain/shared/funders';
import { queryInteger } from '../http/platform/validate';
import { resolveInstant, timeAxes } from './asOf';
import { movements } from './ledger';
import { publicationRules, scdlSubventionsColumns } from './scdl';

const decimal = (what: string) =>
  z
    .string()
    .regex(/^\d{1,18}$/, `${what} : nombre entier positif attendu`)
    .meta({ description: `${what} (entier décimal, en texte)` });

// A time with a space where its offset's sign should be: a '+' typed as is in a URL, which the
// query string decodes as a space (`…T14:08:45+01:00` arrives as `…T14:08:45 01:00`).
const UNENCODED_PLUS = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}(:?\d{2})?$/;

/** An ISO instant, or a civil date read in Paris. */
const instantOrDate = (description: string) =>
  z
    .string()
    .check((ctx) => {
      if (resolveInstant(ctx.value) !== undefined) return;
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: UNENCODED_PLUS.test(ctx.value)
          ? `« ${ctx.value} » : le « + » du décalage horaire est arrivé comme une espace (un « + » non encodé dans une URL se lit comme une espace) ; écrivez-le %2B, ex. ${ctx.value.replace(' ', '%2B')}`
          : // No '+' in the example: copied into a URL as is, it would arrive as a space.
            'Instant ISO 8601 (2027-06-30T10:00:00Z) ou date (2027-06-30) attendu',
      });
    })
    .meta({ description, example: '2027-06-30' });

export const timeAxisSchema = z.enum(timeAxes).meta({
  description:
    'business : date métier (occurredAt, quand la chose s’est produite) ; record : date d’enregistrement (recordedAt). Défaut : business.',
});

const pageLimit = queryInteger(1, 1000);

// Application ids are ULIDs, minted upper case; Crockford's base 32 reads them the same in either
// case, so a lower-case one (typed, or copied from a tool that lower-cases) names the same file.
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const APPLICATION_STREAM = /^application-([0-9A-Za-z]{26})$/;

export const streamNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/,
    'Nom de flux attendu, ex. application-01JQ7Z8X9Y0A1B2C3D4E5F6G7H',
  )
  .overwrite((stream) => {
    const id = APPLICATION_STREAM.exec(stream)?.[1];
    return id !== undefined && ULID.test(id) ? `application-${id.toUpperCase()}` : stream;
  })
  .meta({ description: 'Flux : application-<id>, campaign-<id> ou envelope-<campagne>-<financeur>' });

export const applicationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,100}$/, 'Identifiant de candidature attendu (ULID)')
  .overwrite((id) => (ULID.test(id) ? id.toUpperCase() : id));
export const campaignIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'Identifiant de campagne : lettres, chiffres et tirets');

// ---- requests ----

export const streamEventsParams = z.object({ stream: streamNameSchema });
export const streamEventsQuery = z.object({
  from: decimal('Première révision lue').optional(),
  limit: pageLimit.optional().meta({ description: 'Événements par page (1 à 1000, défaut 100)' }),
  data: z.enum(['stored', 'current']).optional().meta({
    description:
      'stored (défaut) : données telles qu’enregistrées et empreintées ; current : converties au schéma actuel',
  }),
});

const ledgerFilters = {
  from: instantOrDate('Début inclus (une date seule : dès 0 h, heure de Paris)').optional(),
  to: instantOrDate('Fin incluse (une date seule : jusqu’à minuit, heure de Paris)').optional(),
  time: timeAxisSchema.optional(),
  funder: funderIdSchema
    .optional()
    .meta({ description: 'ETAT, REGION, DEPARTEMENT, CAF, EPCI ou COMMUNE-<INSEE>' }),
  campaign: campaignIdSchema.optional(),
};
/**
 * A period ending before it starts holds nothing: its empty answer would read as « no movement in
 * that period ». Compared as the instants the routes will use (a date alone: from 0 h, to midnight).
 */
function periodInOrder(
  ctx: z.core.ParsePayload<{ from?: string | undefined; to?: string | undefined }>,
): void {
  const { from, to } = ctx.value;
  if (from === undefined || to === undefined) return;
  const start = resolveInstant(from, 'start');
  const end = resolveInstant(to, 'end');
  if (start === undefined || end === undefined || Date.parse(start) <= Date.parse(end)) return;
  ctx.issues.push({
    code: 'custom',
    input: ctx.value,
    path: ['from'],
    message: `Période vide : le début (from=${from}) est après la fin (to=${to}). Inversez-les ?`,
  });
}

export const ledgerQuery = z
  .object({
    after: decimal('Position globale après laquelle lire (curseur `next` de la page précédente)').optional(),
    limit: pageLimit.optional().meta({
      description:
        'Écritures par page (1 à 1000, défaut 200). Une page s’arrête à la fin d’un événement, et un ' +
        'événement peut en donner plusieurs (une décision du comité : une par financeur et par année) : ' +
        'une page peut donc tenir quelques écritures de plus que limit. Elle peut aussi en tenir moins sans ' +
        'être la dernière (10 000 événements lus au plus par page) : la dernière a `next` à null.',
    }),
    ...ledgerFilters,
  })
  .check(periodInOrder);
export const ledgerCsvQuery = z.object(ledgerFilters).check(periodInOrder);

export const asOfQuery = z.object({
  at: instantOrDate('Instant de l’état voulu (une date seule : fin de ce jour, heure de Paris)'),
  time: timeAxisSchema.optional(),
});
export const applicationAsOfParams = z.object({ id: applicationIdSchema });
export const campaignAsOfParams = z.object({ id: campaignIdSchema });
export const envelopeAsOfParams = z.object({ campaignId: campaignIdSchema, funder: funderIdSchema });

export const verifyBody = z.object({
  stream: streamNameSchema.optional().meta({ description: 'Un seul flux ; tout le journal si absent' }),
});

export const scdlQuery = z.object({
  year: z
    .string()
    .regex(/^\d{4}$/, 'Année sur 4 chiffres attendue')
    .meta({ description: 'Année de la convention (dateConvention)', example: '2027' }),
  aboveThreshold: z
    .enum(['true', 'false'])
    .optional()
    .meta({
      description:
        'true : seulement les subventions à publier obligatoirement (plus de 23 000 € par an pour la convention, ' +
        'ou en cumul pour un même financeur et un même bénéficiaire)',
    }),
  asOf: instantOrDate(
    'Le fichier tel qu’il pouvait être tiré à cet instant, des événements enregistrés jusque-là (date ' +
      'd’enregistrement : un fichier publié ce jour-là se retrouve à l’identique). Une date seule : fin de ' +
      'ce jour, heure de Paris. Absent : maintenant.',
  ).optional(),
});
export const scdlCsvQuery = scdlQuery.extend({
  allowIncomplete: z
    .enum(['true', 'false'])
    .optional()
    .meta({
      description:
        'true : livrer le fichier même quand une colonne obligatoire reste vide (idAttribuant d’un financeur ' +
        'dont le SIRET est inconnu), à compléter avant publication. Sans lui, un tel export est refusé ' +
        '(422 SCDL_INCOMPLETE, qui nomme les financeurs à renseigner).',
    }),
});

// ---- responses (documentation) ----

export const eventMetadataSchema = z.object({
  correlationId: z.string(),
  causationId: z.string(),
  actor: z.object({ id: z.string(), role: z.string(), institution: z.string().optional() }),
  occurredAt: z.string().meta({ description: 'Date métier' }),
  recordedAt: z.string().meta({ description: 'Date d’enregistrement' }),
  workflowId: z.string().optional(),
  runId: z.string().optional(),
  schemaVersion: z.number().int(),
  previousHash: z.string().nullable(),
  hash: z.string(),
});

export const auditEventSchema = z.object({
  id: z.string(),
  stream: z.string(),
  revision: z.string(),
  position: z.string(),
  type: z.string(),
  data: z.unknown(),
  metadata: eventMetadataSchema,
});

export const streamEventsResponse = z.object({
  stream: z.string(),
  events: z.array(auditEventSchema),
  next: z
    .string()
    .nullable()
    .meta({ description: 'Révision à passer en `from` pour la suite ; null à la fin' }),
});

export const ledgerEntrySchema = z.object({
  eventId: z.string(),
  position: z.string(),
  line: z.number().int(),
  stream: z.string(),
  revision: z.string(),
  type: z.string(),
  movement: z.enum(movements),
  movementLabel: z.string(),
  funder: z.string().nullable(),
  campaign: z.string().nullable(),
  application: z.string().nullable(),
  conventionYear: z.number().int().nullable(),
  year: z.number().int().nullable(),
  amountCents: z.number().int().nullable(),
  reference: z.string().nullable(),
  occurredAt: z.string(),
  recordedAt: z.string(),
  actorId: z.string(),
  actorRole: z.string(),
  actorInstitution: z.string().nullable(),
});

/**
 * What a ledger page or an SCDL export says of the log it was read from (services/audit/ledgerIntegrity.ts):
 * the engine's last verdict on the whole log, not a check made for this answer.
 */
const logIntegritySchema = z
  .object({
    verdict: z.enum(['intact', 'altéré', 'pas encore vérifié', 'non suivi']),
    checkedAt: z.string().nullable(),
    warning: z.string().optional(),
  })
  .meta({
    description:
      'La dernière vérification du journal entier par le moteur (périodique, ou demandée par POST ' +
      '/api/audit/verify), non refaite pour cette réponse : « altéré » avec `warning` quand elle a trouvé une ' +
      'altération, dont ces montants peuvent être issus. Aussi dans l’en-tête Grants-Log-Integrity ' +
      'des fichiers CSV (intact, altered, unchecked, unwatched ; checked-at=…).',
  });

export const ledgerPageResponse = z.object({
  entries: z.array(ledgerEntrySchema),
  next: z
    .string()
    .nullable()
    .meta({ description: 'À passer en `after` pour la page suivante ; null : tête du journal atteinte' }),
  lastPosition: z
    .string()
    .nullable()
    .meta({
      description:
        'Position du dernier événement du grand livre lu par cette page (pas forcément la tête du journal : ' +
        'les autres événements ne sont pas lus) ; sans aucun lu, la valeur d’`after` reçue, ou null sans `after`',
    }),
  scanned: z.number().int(),
  integrity: logIntegritySchema,
});

const stampSchema = z.object({ revision: z.string(), occurredAt: z.string(), recordedAt: z.string() });

const integrityFailureSchema = z.object({
  stream: z.string(),
  revision: z.string(),
  position: z.string(),
  eventId: z.string(),
  reason: z.enum(['hash_mismatch', 'chain_broken', 'revision_gap', 'malformed']),
  detail: z.string(),
});

export const integrityReportResponse = z.object({
  ok: z.boolean(),
  checked: z.number().int().meta({
    description:
      'Événements contrôlés : tous ceux lus, sauf ceux qui suivent la première altération de leur flux',
  }),
  unchecked: z
    .number()
    .int()
    .meta({
      description:
        'Événements non contrôlés parce qu’ils suivent la première altération de leur flux (son chaînage ' +
        'n’est plus une référence sûre) ; checked + unchecked = événements lus',
    }),
  firstBroken: integrityFailureSchema
    .optional()
    .meta({ description: 'Le premier événement altéré dans l’ordre du journal (le premier de `broken`)' }),
  broken: z.array(integrityFailureSchema).meta({
    description:
      'Le premier événement altéré de chaque flux altéré, dans l’ordre du journal (1000 au plus ; ' +
      'brokenStreams les compte tous)',
  }),
  brokenStreams: z.number().int().meta({ description: 'Nombre de flux altérés' }),
  summary: z.string(),
  nextSteps: z.array(z.string()).optional().meta({
    description:
      'Quand le journal est altéré : que faire, dans l’ordre (garder la pièce, comparer, signaler)',
  }),
});

export const asOfResponse = z.object({
  stream: z.string(),
  at: z.string(),
  time: timeAxisSchema,
  state: z.unknown().meta({ description: 'État rejoué avec les règles du domaine' }),
  eventsApplied: z.number().int(),
  lastEvent: stampSchema.nullable(),
  streamLength: z.number().int(),
  outOfOrder: z.array(stampSchema).meta({
    description:
      'Événements enregistrés plus loin dans le flux mais datés avant l’instant demandé (non appliqués)',
  }),
  firstEvent: stampSchema.meta({ description: 'Le premier événement du flux (depuis quand il existe)' }),
  integrity: z
    .lazy(() => integrityReportResponse)
    .meta({
      description:
        'La vérification de la chaîne d’empreintes du flux rejoué : un état rejoué d’un flux altéré n’est pas une preuve',
    }),
  summary: z.string().meta({
    description:
      'En français : l’état à cet instant (événements appliqués, le dernier), ou que rien n’existait encore, ou que l’instant est à venir ; les événements datés avant mais enregistrés après ; l’intégrité du flux',
  }),
});

export const digestQuery = z.object({
  upTo: z
    .string()
    .regex(/^\d{1,19}$/, 'Position attendue (un entier)')
    .optional()
    .meta({
      description: 'Jusqu’à cette position incluse ; jusqu’au dernier événement si absente',
      example: '72656',
    }),
});

export const digestResponse = z.object({
  upTo: z.string().meta({ description: 'Dernière position comprise' }),
  events: z.number().int(),
  digest: z.string().meta({
    description:
      'SHA-256 (hex) sur la position, l’identifiant, l’empreinte enregistrée et l’empreinte recalculée de chaque événement',
  }),
  altered: z
    .object({
      events: z.number().int().meta({
        description: 'Événements dont l’empreinte enregistrée n’est plus celle de leur contenu (0 : aucun)',
      }),
      first: z
        .object({ position: z.string(), stream: z.string(), revision: z.string(), eventId: z.string() })
        .optional()
        .meta({ description: 'Le premier d’entre eux, dans l’ordre du journal' }),
    })
    .meta({
      description: 'Une empreinte prise sur un journal altéré le dit ici : ne pas la noter comme référence',
    }),
  summary: z.string(),
});

export const scdlResponse = z.object({
  year: z.number().int(),
  integrity: logIntegritySchema,
  schemaVersion: z.string(),
  publicationThresholdCents: z.number().int(),
  columns: z.array(z.enum(scdlSubventionsColumns)),
  rows: z.array(
    z.object({
      record: z.record(z.string(), z.string()),
      applicationId: z.string(),
      funder: z.string(),
      totalCents: z.number().int(),
      maxYearlyCents: z
        .number()
        .int()
        .meta({ description: 'Montant annuel de la convention (année la plus élevée)' }),
      beneficiaryYearCents: z.number().int().meta({
        description:
          'Ce que ce financeur attribue à ce bénéficiaire pour l’année, sur toutes ses conventions entrées en vigueur cette année-là',
      }),
      beneficiaryApplications: z
        .array(z.string())
        .meta({ description: 'Les candidatures dont les conventions font ce cumul, celle-ci comprise' }),
      aboveThreshold: z.boolean().meta({ description: 'Publication obligatoire' }),
      publicationRules: z.array(z.enum(publicationRules)).meta({
        description:
          'Pourquoi : convention_annual_amount (une année de la convention dépasse 23 000 €), ' +
          'funder_beneficiary_total (le cumul du financeur pour ce bénéficiaire dans l’année les dépasse)',
      }),
      publicationReason: z.string().nullable(),
    }),
  ),
  complete: z.boolean().meta({
    description: 'Toutes les colonnes obligatoires sont remplies : le CSV est publiable tel quel',
  }),
  missingIdAttribuant: z
    .array(z.object({ funder: z.string(), nomAttribuant: z.string(), rows: z.number().int() }))
    .meta({ description: 'Financeurs dont le SIRET (idAttribuant) est inconnu' }),
  warnings: z.array(z.string()),
  asOf: z
    .string()
    .optional()
    .meta({ description: 'L’instant demandé (asOf), résolu : le journal tel qu’il était enregistré alors' }),
});
