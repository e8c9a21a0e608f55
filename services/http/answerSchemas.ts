// What the API answers, as zod schemas for the OpenAPI document: a command's new state, the read
// models' lists, details, summaries and statistics. The queries build their answers from TypeScript
// types (services/readModels/**/queries.ts), not from these schemas; the type checks at the end make
// each schema's output the type its query returns, so a field added or renamed there fails the build
// here rather than leaving the document behind.
import { z } from 'zod';
import { applicationCommandTypes, applicationStatuses } from '../../domain/application';
import { campaignStatuses } from '../../domain/campaign';
import type { AllowedCommand, RefusedCommand } from '../../domain/shared/decision';
import { domainErrorCodes } from '../../domain/shared/errors';
import { roleSchema } from '../../domain/shared/roles';
import type { ApiDocumentation } from './platform/openapi';
import type { Amounts, AwaitedAction } from '../readModels/applications/facts';
import type {
  ApplicationFunderDetail,
  ApplicationListItem,
  ApplicationPage,
} from '../readModels/applications/queries';
import type {
  CampaignListItem,
  CampaignSummary,
  FunderStats,
  QpvStats,
  ThemeStats,
} from '../readModels/campaignSummary/queries';
import type { LedgerTotal } from '../readModels/ledger/queries';
import { reportStatusLabels, type ReportItem } from '../readModels/reports/queries';

const cents = (description: string) => z.number().int().meta({ description });
const count = (description: string) => z.number().int().nonnegative().meta({ description });
const decimalText = (description: string) => z.string().meta({ description });

export const allowedCommandAnswer = z
  .object({
    type: z.string().meta({ description: 'La commande du domaine (ex. DeclareEligible, SignConvention)' }),
    roles: z.array(roleSchema).meta({ description: 'Les rôles qui peuvent l’envoyer maintenant' }),
    institutions: z.array(z.string()).optional().meta({
      description: 'Pour une commande de financeur : les institutions qui peuvent l’envoyer maintenant',
    }),
    reason: z
      .string()
      .optional()
      .meta({ description: 'Ce que fait la commande maintenant, ou ce qu’elle attend' }),
  })
  .meta({ description: 'Une action possible maintenant' });

export const refusedCommandAnswer = z
  .object({
    type: z.string().meta({ description: 'La commande du domaine (ex. DraftConvention, SignConvention)' }),
    label: z.string().meta({
      description:
        'Son nom en français, avec son article, tel que les messages la nomment (ex. « la rédaction de la convention »)',
    }),
    code: z.enum(domainErrorCodes).meta({
      description:
        'Le code du refus qu’elle recevrait maintenant (voir « The domain’s codes » de docs/http.md)',
    }),
    message: z.string().meta({
      description: 'En français : pourquoi elle n’est pas possible maintenant, et ce qui l’est à la place',
    }),
  })
  .meta({ description: 'Une action du rôle de l’appelant qui n’est pas possible maintenant, et pourquoi' });

const allowed = z.array(allowedCommandAnswer).meta({
  description: 'Les actions que l’appelant peut envoyer maintenant (celles de son rôle, de son institution)',
});
const revision = z.string().nullable().meta({
  description:
    'Révision du flux, en décimal (la valeur de l’ETag, sans guillemets) ; null avant tout événement',
});

/** A command's answer: workflows/shared/protocol.ts's AggregateView, `allowed` narrowed to the sender. */
export const stepAnswer = z
  .object({
    state: z
      .looseObject({
        status: z.string().meta({ description: 'Le statut (étape) de la candidature ou de la campagne' }),
      })
      .meta({
        description:
          'L’état de la candidature (domain/application/state.ts) ou de la campagne (domain/campaign/state.ts) ' +
          'tel que son workflow le tient après l’étape : `status` et les champs de ce statut (dossier, ' +
          'positions des financeurs, convention, comptes rendus, versements…).',
      }),
    revision,
    allowed,
  })
  .meta({
    description: 'Le nouvel état, sa révision (aussi dans l’ETag) et les actions possibles maintenant',
  });

/** GET /api/campaigns/{id}: the campaign's AggregateView. */
export const campaignViewAnswer = z
  .object({
    state: z.looseObject({ status: z.enum(campaignStatuses).exclude(['not_created']) }).meta({
      description:
        'La campagne telle que son workflow la tient (domain/campaign/state.ts) : nom, année, fenêtre de ' +
        'dépôt, thèmes, territoire, financeurs. L’enveloppe de chaque financeur (`funders[].envelopeCents`) ' +
        'seulement pour les rôles qui lisent la synthèse.',
    }),
    revision,
    allowed,
    notNow: z.array(refusedCommandAnswer).meta({
      description:
        'Les autres actions du rôle de l’appelant sur la campagne : pourquoi chacune n’est pas possible ' +
        'maintenant, avec le code et le message du refus qu’elle recevrait ; vide pour un rôle qui n’agit pas ' +
        'sur les campagnes',
    }),
  })
  .meta({
    description:
      'Une campagne, sa révision (aussi dans l’ETag), les actions possibles maintenant et pourquoi pas les autres',
  });

export const amountsAnswer = z
  .object({
    requestedCents: cents('Demandé'),
    committedCents: cents('Engagé par les financeurs (leurs positions)'),
    awardedCents: cents('Attribué (plan de financement du comité)'),
    paidCents: cents('Versé'),
    recoveredCents: cents('Reversé (résiliation, solde)'),
  })
  .meta({ description: 'Montants en centimes d’euro' });

const yearAmounts = amountsAnswer.extend({
  year: z
    .number()
    .int()
    .meta({
      description:
        'Exercice : l’année civile où commence l’année de convention k (avant la rédaction de la convention : ' +
        'l’année de la campagne + k − 1) ; pas l’année du mouvement, que compte GET /api/stats/ledger',
    }),
});

const applicationStatus = z.enum(applicationStatuses);
const waitingRole = z.enum(['porteur', 'grant_manager', 'funder', 'citizen_council']);
const timestamp = (description: string) => z.string().meta({ description: `${description} (ISO 8601)` });

export const applicationListItemAnswer = z
  .object({
    id: z.string().meta({ description: 'Identifiant de la candidature (ULID)' }),
    campaignId: z.string(),
    porteurId: z.string(),
    porteur: z.object({ name: z.string(), siret: z.string().nullable(), rna: z.string().nullable() }),
    title: z.string(),
    theme: z.string(),
    themeLabel: z.string(),
    qpvCodes: z.array(z.string()),
    durationYears: z.number().int(),
    conventionKind: z.enum(['CPO', 'annual']).nullable(),
    status: applicationStatus,
    statusLabel: z.string(),
    waitingFor: z
      .string()
      .nullable()
      .meta({ description: 'Ce qu’elle attend, en français ; null une fois le dossier terminé' }),
    waitingOn: z
      .array(z.string())
      .meta({ description: 'Les rôles et institutions qui doivent agir maintenant' }),
    nextDeadline: z.object({ at: z.string(), kind: z.string() }).nullable().meta({
      description:
        'La plus proche échéance de la candidature (instant où elle est passée) ; celle d’un compte rendu en retard reste, passée',
    }),
    amounts: amountsAnswer,
    funderAmounts: amountsAnswer
      .extend({ funder: z.string() })
      .optional()
      .meta({
        description:
          'Dans une liste filtrée par financeur (celles d’un financeur le sont toujours) : sa part des montants, ' +
          'toutes années de convention ensemble ; `amounts` reste celui de la candidature, tous financeurs ensemble',
      }),
    expectedBeneficiaries: z
      .number()
      .int()
      .meta({ description: 'Bénéficiaires attendus en un an (le dossier)' }),
    reachedBeneficiaries: z.number().int().meta({
      description: 'Bénéficiaires touchés en un an : le dernier compte rendu accepté (0 avant le premier)',
    }),
    submittedAt: timestamp('Dépôt'),
    updatedAt: timestamp('Dernier événement, date métier'),
    recordedAt: timestamp('Dernier événement, date d’enregistrement'),
    revision: decimalText('Révision du flux du dernier événement : l’ETag de la candidature'),
    lastPosition: decimalText('Position globale du dernier événement'),
  })
  .meta({ description: 'Une candidature dans une liste' });

export const applicationPageAnswer = z
  .object({
    items: z.array(applicationListItemAnswer),
    total: count('Candidatures correspondant aux filtres, toutes pages comprises'),
    limit: count('Taille de page appliquée'),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'À passer en `cursor` pour la page suivante ; null sur la dernière' }),
  })
  .meta({ description: 'Une page de candidatures' });

const awaitedAction = z.object({
  command: z.enum(applicationCommandTypes),
  label: z.string().meta({ description: 'En français, pour une file de travail (« Convention à rédiger »)' }),
  roles: z.array(waitingRole),
  institutions: z.array(z.string()).optional(),
});

const funderDetail = z.object({
  funder: z.string(),
  funderName: z.string(),
  totals: amountsAnswer,
  years: z.array(
    amountsAnswer.extend({
      year: z.number().int().meta({ description: 'Année de convention (1 … 4)' }),
      calendarYear: z
        .number()
        .int()
        .meta({ description: 'Exercice (année civile) de cette année de convention' }),
    }),
  ),
});

export const applicationDetailAnswer = applicationListItemAnswer
  .omit({ funderAmounts: true })
  .extend({
    awaited: z.array(awaitedAction).meta({ description: 'Ce qui est attendu, de qui' }),
    funders: z.array(funderDetail).meta({ description: 'L’argent par financeur et par année' }),
    state: z
      .looseObject({ status: applicationStatus })
      .optional()
      .meta({
        description:
          'Le dossier tel que déposé et son état dans le workflow (domain/application/state.ts) ; absent pour ' +
          'les évaluateurs',
      }),
    allowed,
    notNow: z
      .array(refusedCommandAnswer)
      .optional()
      .meta({
        description:
          'Les autres actions du rôle de l’appelant (de son institution) : pourquoi chacune n’est pas possible ' +
          'maintenant, avec le code et le message du refus qu’elle recevrait ; absent pour les évaluateurs',
      }),
  })
  .meta({ description: 'Une candidature : sa ligne, ce qu’elle attend, l’argent par financeur, son état' });

/**
 * The files given up (services/readModels/campaignSummary/projection.ts, GIVEN_UP) count among the
 * applications and in the money, not among the people expected: said on each count, since a reader
 * dividing one by the other would otherwise take it for a mean per file.
 */
const allApplications =
  'Candidatures, celles retirées, irrecevables, rejetées ou caduques comprises (comme dans les montants)';
const peopleCounts = {
  applications: count(allApplications),
  expectedBeneficiaries: count(
    'Bénéficiaires attendus en un an, selon les dossiers ; hors dossiers retirés, irrecevables, rejetés ou caducs, ' +
      'que applications et les montants comptent : ce n’est pas une somme sur les candidatures comptées',
  ),
  reachedBeneficiaries: count(
    'Bénéficiaires touchés en un an : pour chaque action, le compte rendu accepté de sa dernière année (les années d’une CPO ne s’additionnent pas)',
  ),
};
const envelopeUse = z
  .object({
    amountCents: z.number().int(),
    reservedCents: z.number().int(),
    remainingCents: z.number().int(),
  })
  .nullable()
  .meta({ description: 'L’enveloppe du financeur et ce qui en est réservé ; null sans enveloppe' });
const multiYearShare = z
  .object({
    retainedActions: count('Actions retenues par le comité'),
    multiYearActions: count('Dont en convention pluriannuelle (CPO)'),
    annualActions: count('Dont en convention annuelle'),
    sharePercent: z
      .number()
      .nullable()
      .meta({ description: 'Part des CPO en %, null avant toute action retenue' }),
    targetPercent: z
      .number()
      .nullable()
      .meta({ description: 'La cible de la campagne (50 % du contrat de ville)' }),
    targetReached: z.boolean().nullable(),
  })
  .meta({ description: 'La part des conventions pluriannuelles (CPO)' });
const campaignStatus = z.enum(campaignStatuses).exclude(['not_created']).nullable();
const submissionWindow = z.object({ opensAt: z.string(), closesAt: z.string() }).nullable();

export const campaignListItemAnswer = z
  .object({
    campaignId: z.string(),
    name: z.string().nullable(),
    year: z.number().int().nullable(),
    status: campaignStatus,
    submissionWindow,
    ...peopleCounts,
    amounts: amountsAnswer,
    multiYear: multiYearShare,
    lastPosition: z.string().nullable(),
  })
  .meta({ description: 'Une campagne et ses totaux' });

export const campaignSummaryAnswer = z
  .object({
    campaignId: z.string(),
    name: z
      .string()
      .nullable()
      .meta({ description: 'null quand le flux de la campagne n’a pas été projeté' }),
    year: z.number().int().nullable(),
    status: campaignStatus,
    submissionWindow,
    openedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    ...peopleCounts,
    amounts: amountsAnswer,
    byYear: z.array(yearAmounts),
    byFunder: z.array(
      z.object({
        funder: z.string(),
        funderName: z.string(),
        applications: count(
          'Candidatures qui sollicitent ce financeur (ou qu’il finance), celles retirées, irrecevables, rejetées ou caduques comprises',
        ),
        amounts: amountsAnswer,
        byYear: z.array(yearAmounts),
        envelope: envelopeUse,
      }),
    ),
    byQpv: z.array(
      z.object({ qpv: z.string(), ...peopleCounts, amounts: amountsAnswer, byYear: z.array(yearAmounts) }),
    ),
    byTheme: z.array(
      z.object({
        theme: z.string(),
        themeLabel: z.string(),
        ...peopleCounts,
        amounts: amountsAnswer,
        byYear: z.array(yearAmounts),
      }),
    ),
    byStatus: z.array(
      z.object({ status: applicationStatus, statusLabel: z.string(), applications: count('') }),
    ),
    multiYear: multiYearShare,
  })
  .meta({
    description: 'Demandé / attribué / versé par financeur, QPV, thème, année ; enveloppes ; part des CPO',
  });

const items = <T extends z.ZodType>(item: T, description: string) =>
  z.object({ items: z.array(item) }).meta({ description });

export const campaignListAnswer = items(campaignListItemAnswer, 'Les campagnes');
export const qpvStatsAnswer = items(
  z.object({ qpv: z.string(), ...peopleCounts, amounts: amountsAnswer }),
  'Par quartier prioritaire',
);
export const funderStatsAnswer = items(
  z.object({
    funder: z.string(),
    funderName: z.string(),
    applications: count(allApplications),
    amounts: amountsAnswer,
    envelope: envelopeUse.meta({
      description:
        'Les enveloppes des campagnes retenues (campaignId), additionnées, entières : une enveloppe couvre toutes les années de ses conventions, le filtre year ne la découpe pas',
    }),
  }),
  'Par financeur',
);
export const themeStatsAnswer = items(
  z.object({ theme: z.string(), themeLabel: z.string(), ...peopleCounts, amounts: amountsAnswer }),
  'Par thème',
);

export const ledgerStatsAnswer = items(
  z.object({
    funder: z.string(),
    funderName: z.string(),
    year: z.number().int().meta({
      description:
        'Année civile (Paris) où l’argent a bougé (pas l’exercice des statistiques, année civile où commence chaque année de convention) ; avec yearOf=convention, année de convention (1 … 4)',
    }),
    committedCents: cents('Engagé par le financeur, engagements annulés déduits'),
    awardedCents: cents('Attribué par le comité de pilotage, attributions annulées déduites'),
    paidCents: cents('Versements ordonnés'),
    recoveredCents: cents('Reversements ordonnés'),
    reservedCents: cents('Réservé sur ses enveloppes, libérations déduites'),
  }),
  'Le grand livre par financeur et par année : ce que chacun a engagé, attribué, versé, récupéré et réservé',
);

export const reportItemAnswer = z
  .object({
    applicationId: z.string(),
    campaignId: z.string(),
    porteurId: z.string(),
    porteurName: z.string(),
    title: z.string(),
    year: z.number().int().meta({ description: 'Année de convention (1 … 4)' }),
    yearStart: z.string(),
    yearEnd: z.string(),
    dueDate: z.string().meta({ description: 'Date (Paris) à laquelle le compte rendu est dû' }),
    // The labels' keys: the projection module itself registers the projection when loaded.
    status: z.enum(Object.keys(reportStatusLabels) as ReportItem['status'][]),
    statusLabel: z.string(),
    overdue: z.boolean(),
    reminderSent: z.boolean(),
    submittedAt: z.string().nullable(),
    beneficiariesReached: z.number().int().nullable(),
    funders: z.array(z.string()).meta({ description: 'Les financeurs de la convention' }),
  })
  .meta({ description: 'Un compte rendu annuel attendu' });
export const reportListAnswer = z
  .object({
    items: z.array(reportItemAnswer),
    total: count(
      'Comptes rendus correspondant aux filtres : plus que `items` quand la liste est coupée à `limit`',
    ),
  })
  .meta({ description: 'Les comptes rendus, les premiers `limit` (500 par défaut)' });

/** Names the schemas above under components/schemas (idempotent: every router may call it). */
export function nameAnswerSchemas(docs: ApiDocumentation): void {
  const names: [string, z.ZodType][] = [
    ['AllowedCommand', allowedCommandAnswer],
    ['RefusedCommand', refusedCommandAnswer],
    ['StepAnswer', stepAnswer],
    ['CampaignView', campaignViewAnswer],
    ['Amounts', amountsAnswer],
    ['ApplicationListItem', applicationListItemAnswer],
    ['ApplicationPage', applicationPageAnswer],
    ['ApplicationDetail', applicationDetailAnswer],
    ['CampaignListItem', campaignListItemAnswer],
    ['CampaignSummary', campaignSummaryAnswer],
    ['ReportItem', reportItemAnswer],
  ];
  for (const [name, schema] of names) docs.registerSchema(name, schema);
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

/** Compile-time only: each schema's output is the type its query answers with. */
export type AnswerSchemasMatchQueries = [
  Assert<Same<z.output<typeof allowedCommandAnswer>, AllowedCommand>>,
  Assert<Same<z.output<typeof refusedCommandAnswer>, RefusedCommand>>,
  Assert<Same<z.output<typeof amountsAnswer>, Amounts>>,
  Assert<Same<z.output<typeof awaitedAction>, AwaitedAction>>,
  Assert<Same<z.output<typeof funderDetail>, ApplicationFunderDetail>>,
  Assert<Same<z.output<typeof applicationListItemAnswer>, ApplicationListItem>>,
  Assert<Same<z.output<typeof applicationPageAnswer>, ApplicationPage>>,
  Assert<Same<z.output<typeof campaignListItemAnswer>, CampaignListItem>>,
  Assert<Same<z.output<typeof campaignSummaryAnswer>, CampaignSummary>>,
  Assert<Same<z.output<typeof qpvStatsAnswer>['items'][number], QpvStats>>,
  Assert<Same<z.output<typeof funderStatsAnswer>['items'][number], FunderStats>>,
  Assert<Same<z.output<typeof themeStatsAnswer>['items'][number], ThemeStats>>,
  Assert<Same<z.output<typeof ledgerStatsAnswer>['items'][number], LedgerTotal>>,
  Assert<Same<z.output<typeof reportItemAnswer>, ReportItem>>,
];
