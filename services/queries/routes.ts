// The query API for evaluators and grant managers (and, scoped to themselves, porteurs, funders
// and the conseil citoyen): applications with filters and pagination, campaign summaries,
// statistics per QPV, funder and theme, the ledger per funder and year, overdue and upcoming
// reports. Answers come from the read models, never from the workflows: thin handlers, one query each.
import type { WorkerPresence } from '../../infra/temporal/workerPresence';
import { workersUnavailable } from '../http/workersUnavailable';
import { storedEventUnreadable } from '../http/storedEventUnreadable';
import { temporalUnreachable } from '../http/temporalUnreachable';
import { Router, type RequestHandler } from 'express';
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import {
  allowedApplicationCommands,
  applicationStatuses,
  notNowApplicationCommands,
} from '../../domain/application';
import { notNowCampaignCommands } from '../../domain/campaign';
import { qpvCodeSchema } from '../../domain/reference/qpv';
import { allowedTo } from '../../domain/shared/decision';
import { funderIdSchema } from '../../domain/shared/funders';
import { AggregateNotFoundError, type GrantsClient } from '../../workflows/client';
import { principalOf, type Principal, type Role } from '../http/platform/auth';
import { setETag } from '../http/platform/etag';
import {
  applicationDetailAnswer,
  applicationPageAnswer,
  campaignListAnswer,
  campaignSummaryAnswer,
  campaignViewAnswer,
  funderStatsAnswer,
  ledgerStatsAnswer,
  nameAnswerSchemas,
  qpvStatsAnswer,
  reportListAnswer,
  themeStatsAnswer,
} from '../http/answerSchemas';
import type { ApiDocumentation } from '../http/platform/openapi';
import { BadRequestError, ForbiddenError, NotFoundError } from '../http/platform/problem';
import { noQuery, parseRequest, queryInteger } from '../http/platform/validate';
import type { StreamReader } from '../../infra/projections/projection';
import { applicationStatusLabels } from '../readModels/applications/facts';
import { getApplication, InvalidCursorError, listApplicationsJson } from '../readModels/applications/queries';
import {
  campaignKnown,
  campaignSummary,
  campaignsList,
  statsByFunder,
  statsByQpv,
  statsByTheme,
} from '../readModels/campaignSummary/queries';
import { ledgerTotals } from '../readModels/ledger/queries';
import { overdueReports, upcomingReports } from '../readModels/reports/queries';
import {
  JsonText,
  createReadModelAnswers,
  type AnswerCacheOptions,
  type ReadModelAnswers,
} from './answerCache';

export interface QueryRoutesDeps {
  db: Database;
  /** The event log: an application's detail folds its stream (the read models keep no copy of the state). */
  log: StreamReader;
  /** The campaign's own terms (territory, themes, funders) are its workflow's state. */
  grants: GrantsClient;
  authenticate: RequestHandler;
  requireRole: (...roles: Role[]) => RequestHandler;
  docs?: ApiDocumentation;
  /**
   * Answers of the lists, summaries and statistics kept until the read models change (default: on,
   * 32 MiB); `false` computes every answer (bench's cold figures). See answerCache.ts.
   */
  answerCache?: AnswerCacheOptions | false;
  /** Shares one cache between routers on the same connection (tests); made from `answerCache` otherwise. */
  answers?: ReadModelAnswers;
  /**
   * Whether a worker takes the workflows' tasks, asked before a campaign's workflow is queried: given
   * when the workers run in other processes (a query waits for a worker, with no answer meanwhile).
   */
  workers?: WorkerPresence;
}

const everyone: Role[] = ['grant_manager', 'evaluator', 'auditor', 'porteur', 'funder', 'citizen_council'];
const analysts: Role[] = ['grant_manager', 'evaluator', 'auditor', 'funder'];

// A status code alone means little to whoever typed a wrong one: the refusal lists each with its label.
const statusChoices = applicationStatuses
  .map((code) => `${code} (${applicationStatusLabels[code].toLocaleLowerCase('fr')})`)
  .join(', ');
const applicationStatus = z.enum(applicationStatuses, {
  error: (issue) => {
    const given =
      issue.input === ''
        ? 'Champ vide. '
        : typeof issue.input === 'string'
          ? `Statut inconnu : « ${issue.input} ». `
          : '';
    return `${given}Statuts possibles : ${statusChoices}.`;
  },
});

const waitingRoles: readonly string[] = ['porteur', 'grant_manager', 'funder', 'citizen_council'];
const listQuery = z.strictObject({
  campaignId: z.string().min(1).optional(),
  // One status, or several (`status=co_decision&status=approved`): a queue of the files still open.
  status: z
    .union([applicationStatus, z.array(applicationStatus).min(1).max(applicationStatuses.length)])
    .optional(),
  qpv: qpvCodeSchema.optional(),
  funder: funderIdSchema.optional(),
  // Who an application waits on: a role, or for funders their institution.
  waitingOn: z
    .string()
    .refine((v) => waitingRoles.includes(v) || funderIdSchema.safeParse(v).success, {
      message:
        'Valeur attendue : porteur, grant_manager, funder, citizen_council ou un financeur (ETAT, REGION, DEPARTEMENT, CAF, EPCI, COMMUNE-<code INSEE>).',
    })
    .optional(),
  sort: z.enum(['submitted', 'deadline']).optional(),
  limit: queryInteger(1, 500).optional(),
  cursor: z.string().min(1).max(200).optional(),
});
const idParams = z.strictObject({
  // ULIDs are case-insensitive (Crockford): a lower-case id names the same application.
  id: z.ulid('Identifiant de candidature invalide (ULID attendu)').toUpperCase(),
});
/**
 * The routes that take no parameter in their query string refuse any (400 naming each, as docs/http.md
 * says): `?status=open` on the campaigns or `?year=2026` on a summary would otherwise answer in full,
 * read as filtered.
 */
const campaignParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'Identifiant de campagne invalide'),
});
/** The calendar years the statistics take (statsQuery), and the years of a convention (CPO: 4 at most). */
const CALENDAR_YEARS = { min: 2000, max: 2100 } as const;
const CONVENTION_YEARS = { min: 1, max: 4 } as const;
const statsQuery = z.strictObject({
  campaignId: z.string().min(1).optional(),
  year: queryInteger(CALENDAR_YEARS.min, CALENDAR_YEARS.max).optional(),
});
const ledgerQuery = z
  .strictObject({
    campaignId: z.string().min(1).optional(),
    funder: funderIdSchema.optional(),
    // Either kind of year, its bounds depending on yearOf: checked below, so that a year out of range
    // gets one message saying which years this yearOf takes. The document gives the union of both.
    year: queryInteger(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
      .optional()
      .meta({
        minimum: CONVENTION_YEARS.min,
        maximum: CALENDAR_YEARS.max,
        description: `Avec yearOf=calendar (par défaut), l’année civile (Paris) où le mouvement a eu lieu, de ${CALENDAR_YEARS.min} à ${CALENDAR_YEARS.max} ; avec yearOf=convention, l’année de convention, de ${CONVENTION_YEARS.min} à ${CONVENTION_YEARS.max}. Une année de l’autre sorte est refusée (400).`,
      }),
    yearOf: z
      .enum(['calendar', 'convention'], {
        error: () =>
          'Valeur attendue : calendar (l’année civile où l’argent a bougé, par défaut) ou convention (année de convention, 1 à 4).',
      })
      .optional(),
  })
  // A year of the other kind matches no row: `?year=2026&yearOf=convention` or `?year=2` answered an
  // empty list, read as « nothing moved that year ». Refused, saying which years this yearOf takes.
  .superRefine((query, ctx) => {
    if (query.year === undefined) return;
    const { min, max } = query.yearOf === 'convention' ? CONVENTION_YEARS : CALENDAR_YEARS;
    if (query.year >= min && query.year <= max) return;
    ctx.addIssue({
      code: 'custom',
      path: ['year'],
      input: query.year,
      message:
        query.yearOf === 'convention'
          ? `Avec yearOf=convention, année de convention attendue, de ${min} à ${max} : ${query.year} n’en est pas une.`
          : `Année civile attendue, de ${min} à ${max} : ${query.year} n’en est pas une (pour une année de convention, 1 à 4, ajoutez yearOf=convention).`,
    });
  });
const reportsQuery = z.strictObject({
  campaignId: z.string().min(1).optional(),
  funder: funderIdSchema.optional(),
  /** The first so many (default 500); `total` says how many match in all. */
  limit: queryInteger(1, 5000).optional(),
});
const upcomingQuery = reportsQuery.extend({
  withinDays: queryInteger(1, 366).default(60),
});

/** What a caller may see of the applications list: porteurs their own, funders those they fund. */
function scopeOf(principal: Principal): { porteurId?: string; funder?: string } {
  if (principal.role === 'porteur') return { porteurId: principal.porteurId };
  if (principal.role === 'funder') return { funder: principal.institution };
  return {};
}

/**
 * The caller's scope, refusing a funder filter naming another institution: the scope would win and
 * answer the caller's own files under the other's name, which reads as the other's answer.
 */
function scopeFor(principal: Principal, query: { funder?: string | undefined }): ReturnType<typeof scopeOf> {
  const scope = scopeOf(principal);
  if (scope.funder !== undefined && query.funder !== undefined && query.funder !== scope.funder) {
    throw new ForbiddenError(
      'Vous ne voyez que les candidatures qui sollicitent votre institution.',
      'WRONG_INSTITUTION',
    );
  }
  return scope;
}

/** The same code as the audit ledger's for a campaign it has never seen (services/audit/routes.ts). */
const campaignNotFound = (campaignId: string) =>
  new NotFoundError(`La campagne « ${campaignId} » est introuvable.`, 'CAMPAIGN_NOT_FOUND');

/**
 * A filter naming a campaign the read models do not know is a mistake (a typo, another engine's id):
 * a 404 naming it, as the campaign's summary answers, not an empty page that reads as a campaign with
 * nothing in it.
 */
function requireKnownCampaign(db: Database, campaignId: string | undefined): void {
  if (campaignId !== undefined && !campaignKnown(db, campaignId)) throw campaignNotFound(campaignId);
}

/** A cursor the caller altered or kept from another filter is their mistake: a 400 naming it, not a 500. */
function listPage(db: Database, filters: Parameters<typeof listApplicationsJson>[1]): string {
  try {
    return listApplicationsJson(db, filters);
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new BadRequestError(error.message, 'INVALID_CURSOR');
    throw error;
  }
}

export function queryRouter(deps: QueryRoutesDeps): Router {
  const router = Router();
  const { db } = deps;
  const answers = deps.answers ?? createReadModelAnswers(db, deps.answerCache ?? {});
  const guard = (...roles: Role[]) => [deps.authenticate, deps.requireRole(...roles)];

  router.get('/api/applications', ...guard(...everyone), (req, res) => {
    const { query } = parseRequest(req, { query: listQuery });
    const principal = principalOf(req);
    const scope = scopeFor(principal, query);
    answers.send(req, res, { route: '/api/applications', input: query, principal }, () => {
      requireKnownCampaign(db, query.campaignId);
      return new JsonText(listPage(db, { ...query, ...scope }));
    });
  });

  router.get('/api/applications/:id', ...guard(...everyone), async (req, res) => {
    const { params } = parseRequest(req, { params: idParams, query: noQuery });
    const principal = principalOf(req);
    const detail = await getApplication(db, deps.log, params.id, (found) => {
      if (principal.role === 'porteur' && found.porteurId !== principal.porteurId) {
        throw new ForbiddenError('Cette candidature appartient à un autre porteur de projet.', 'NOT_OWNER');
      }
      if (principal.role === 'funder' && !found.funders.some((f) => f.funder === principal.institution)) {
        throw new ForbiddenError(
          'Cette candidature ne sollicite pas votre institution.',
          'WRONG_INSTITUTION',
        );
      }
    });
    if (detail === undefined) throw new NotFoundError(`La candidature ${params.id} est introuvable.`);
    setETag(res, BigInt(detail.revision));
    const allowed = allowedTo(allowedApplicationCommands(detail.state), principal);
    // Evaluators read projections and statistics: not the dossier as filed. They send no command, and
    // the refusals would tell the file's state (dates, who signed): no notNow either.
    const { state, ...summary } = detail;
    if (principal.role === 'evaluator') {
      res.json({ ...summary, allowed });
      return;
    }
    // Why the caller's other steps are not possible now, read from the same rules decide refuses with.
    const notNow = notNowApplicationCommands(state, principal);
    res.json({ ...summary, state, allowed, notNow });
  });

  router.get('/api/campaigns', ...guard(...everyone), (req, res) => {
    parseRequest(req, { query: noQuery });
    answers.send(req, res, { route: '/api/campaigns', input: null, principal: principalOf(req) }, () => ({
      items: campaignsList(db),
    }));
  });

  router.get('/api/campaigns/:id', ...guard(...everyone), async (req, res) => {
    const { params } = parseRequest(req, { params: campaignParams, query: noQuery });
    const principal = principalOf(req);
    if (deps.workers !== undefined && !(await deps.workers.polling()))
      throw workersUnavailable('l’état de la campagne ne peut être lu.');
    try {
      const view = await deps.grants.campaignView(params.id);
      // A campaign whose creation was refused has nothing recorded: unknown, as an id never used
      // (the client says so already; a view in that state must never be answered as a campaign).
      if (view.state.status === 'not_created') throw campaignNotFound(params.id);
      if (view.revision !== null) setETag(res, BigInt(view.revision));
      // The funders' envelopes are the programme's figures (as the summary): a porteur or the conseil
      // citoyen sees who funds the call and where, not each partner's budget.
      const state =
        analysts.includes(principal.role) || !('funders' in view.state)
          ? view.state
          : { ...view.state, funders: view.state.funders.map(({ funder }) => ({ funder })) };
      // Why the caller's other campaign steps are not possible now, from the rules decide refuses with
      // (the whole state: the refusals speak of the status and its dates, never of an envelope).
      const notNow = notNowCampaignCommands(view.state, principal);
      res.json({ ...view, state, allowed: allowedTo(view.allowed, principal), notNow });
    } catch (error) {
      if (error instanceof AggregateNotFoundError) throw campaignNotFound(params.id);
      throw error;
    }
  });

  router.get('/api/campaigns/:id/summary', ...guard(...analysts), (req, res) => {
    const { params } = parseRequest(req, { params: campaignParams, query: noQuery });
    const principal = principalOf(req);
    answers.send(req, res, { route: '/api/campaigns/:id/summary', input: params, principal }, () => {
      const summary = campaignSummary(db, params.id);
      if (summary === undefined) throw campaignNotFound(params.id);
      return summary;
    });
  });

  for (const [path, stats] of [
    ['/api/stats/qpv', statsByQpv],
    ['/api/stats/funders', statsByFunder],
    ['/api/stats/themes', statsByTheme],
  ] as const) {
    router.get(path, ...guard(...analysts), (req, res) => {
      const { query } = parseRequest(req, { query: statsQuery });
      answers.send(req, res, { route: path, input: query, principal: principalOf(req) }, () => {
        requireKnownCampaign(db, query.campaignId);
        return { items: stats(db, query) };
      });
    });
  }

  router.get('/api/stats/ledger', ...guard(...analysts), (req, res) => {
    const { query } = parseRequest(req, { query: ledgerQuery });
    answers.send(req, res, { route: '/api/stats/ledger', input: query, principal: principalOf(req) }, () => {
      requireKnownCampaign(db, query.campaignId);
      return { items: ledgerTotals(db, query) };
    });
  });

  router.get(
    '/api/reports/overdue',
    ...guard('grant_manager', 'evaluator', 'auditor', 'funder', 'porteur'),
    (req, res) => {
      const { query } = parseRequest(req, { query: reportsQuery });
      requireKnownCampaign(db, query.campaignId);
      res.json(overdueReports(db, { ...query, ...scopeFor(principalOf(req), query) }));
    },
  );
  router.get(
    '/api/reports/upcoming',
    ...guard('grant_manager', 'evaluator', 'auditor', 'funder', 'porteur'),
    (req, res) => {
      const { query } = parseRequest(req, { query: upcomingQuery });
      requireKnownCampaign(db, query.campaignId);
      res.json(
        upcomingReports(db, {
          ...query,
          ...scopeFor(principalOf(req), query),
          asOf: new Date().toISOString(),
        }),
      );
    },
  );

  if (deps.docs !== undefined) documentQueries(deps.docs);
  // An application's detail replays its stream: an event that no longer reads is said as such.
  router.use(storedEventUnreadable);
  router.use(temporalUnreachable);

  return router;
}

/** What the per-quartier figures are, said to whoever adds them up. */
const overlappingQuartiers =
  'Une action visant plusieurs quartiers compte en entier dans chacun (candidatures, bénéficiaires et montants) : la somme des quartiers dépasse donc le total de la campagne.';
const exercice =
  'L’exercice d’une année de convention est l’année civile où elle commence (avant la rédaction de la convention : l’année de la campagne + k − 1).';
/** Who the counts count: a ratio of people to applications would otherwise mislead (GIVEN_UP, projection.ts). */
const givenUp =
  'Les candidatures et les montants comptent tous les dossiers, y compris ceux retirés, irrecevables, rejetés ou caducs ; les bénéficiaires attendus laissent ces dossiers de côté.';

function documentQueries(docs: ApiDocumentation): void {
  nameAnswerSchemas(docs);
  const { ifNoneMatch } = docs.headerParameters;
  const { answerETag, streamETag } = docs.responseHeaders;
  const get = (route: {
    path: string;
    operationId: string;
    summary: string;
    /** What the figures count, when a reader could take them for something else. */
    description?: string;
    request?: { params?: z.ZodObject; query?: z.ZodObject };
    answer: z.ZodType;
    /** How the answer is tagged: a hash of its bytes (kept answers), the stream's revision, or none. */
    etag?: 'answer' | 'stream';
    /** Besides 400, 401, 403, 500 and 503. */
    notFound?: boolean;
  }) => {
    const etag = route.etag === 'answer' ? answerETag : route.etag === 'stream' ? streamETag : undefined;
    docs.registerRoute({
      method: 'get',
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description === undefined ? {} : { description: route.description }),
      security: docs.bearerSecurity,
      ...(etag === undefined ? {} : { parameters: [ifNoneMatch] }),
      request: route.request ?? {},
      responses: {
        200: {
          description: 'Réponse des modèles de lecture',
          ...(etag === undefined ? {} : { headers: { ETag: etag } }),
          content: { 'application/json': { schema: route.answer } },
        },
        ...(etag === undefined ? {} : docs.notModifiedResponse(etag)),
        ...docs.problemResponses(
          ...(route.notFound === true ? [400, 401, 403, 404] : [400, 401, 403]),
          500,
          503,
        ),
      },
    });
  };
  get({
    path: '/api/applications',
    operationId: 'listApplications',
    summary: 'Candidatures : filtres (campagne, statut, QPV, financeur, en attente de qui), pagination',
    request: { query: listQuery },
    answer: applicationPageAnswer,
    etag: 'answer',
    // 404: a campaignId naming no campaign (requireKnownCampaign), as below.
    notFound: true,
  });
  get({
    path: '/api/applications/{id}',
    operationId: 'getApplication',
    summary: 'Une candidature : dossier, ce qu’elle attend, de qui, jusqu’à quand ; actions possibles',
    request: { params: idParams },
    answer: applicationDetailAnswer,
    etag: 'stream',
    notFound: true,
  });
  get({
    path: '/api/campaigns',
    operationId: 'listCampaigns',
    summary: 'Campagnes',
    description: givenUp,
    answer: campaignListAnswer,
    etag: 'answer',
  });
  get({
    path: '/api/campaigns/{id}',
    operationId: 'getCampaign',
    summary:
      'Une campagne telle que son workflow la tient (calendrier, territoire, financeurs ; leurs enveloppes pour les rôles qui lisent la synthèse), actions possibles ; ETag pour If-Match',
    request: { params: campaignParams },
    answer: campaignViewAnswer,
    etag: 'stream',
    notFound: true,
  });
  get({
    path: '/api/campaigns/{id}/summary',
    operationId: 'getCampaignSummary',
    summary:
      'Synthèse : demandé / attribué / versé par financeur, QPV, thème, exercice ; enveloppes ; part des CPO',
    description: `${overlappingQuartiers} ${exercice} ${givenUp}`,
    request: { params: campaignParams },
    answer: campaignSummaryAnswer,
    etag: 'answer',
    notFound: true,
  });
  // 404: a campaignId naming no campaign. What `year` filters is said here: the counts beside the
  // money are not per year, and an evaluator adding up the quartiers must know they overlap.
  const stats = { request: { query: statsQuery }, etag: 'answer', notFound: true } as const;
  const perYear = `${exercice} Avec \`year\`, les montants de cet exercice seulement ; les nombres de candidatures et de bénéficiaires, toutes années confondues.`;
  get({
    path: '/api/stats/qpv',
    operationId: 'getStatsByQpv',
    summary: 'Statistiques par QPV',
    description: `${overlappingQuartiers} ${perYear} ${givenUp}`,
    answer: qpvStatsAnswer,
    ...stats,
  });
  get({
    path: '/api/stats/funders',
    operationId: 'getStatsByFunder',
    summary: 'Statistiques par financeur',
    description: perYear,
    answer: funderStatsAnswer,
    ...stats,
  });
  get({
    path: '/api/stats/themes',
    operationId: 'getStatsByTheme',
    summary: 'Statistiques par thème',
    description: `${perYear} ${givenUp}`,
    answer: themeStatsAnswer,
    ...stats,
  });
  get({
    path: '/api/stats/ledger',
    operationId: 'getLedgerByFunderAndYear',
    summary: 'Grand livre par financeur et par année (du mouvement ou de convention)',
    description:
      'Par défaut, chaque mouvement compte dans l’année civile (Paris) où il a eu lieu : un engagement pluriannuel compte en entier l’année où il est pris. Ce n’est pas l’exercice des statistiques (l’année civile où commence chaque année de convention). Avec yearOf=convention : par année de convention (1 à 4).',
    request: { query: ledgerQuery },
    answer: ledgerStatsAnswer,
    etag: 'answer',
    notFound: true,
  });
  get({
    path: '/api/reports/overdue',
    operationId: 'listOverdueReports',
    summary: 'Comptes rendus en retard',
    request: { query: reportsQuery },
    answer: reportListAnswer,
    notFound: true,
  });
  get({
    path: '/api/reports/upcoming',
    operationId: 'listUpcomingReports',
    summary: 'Comptes rendus attendus prochainement',
    request: { query: upcomingQuery },
    answer: reportListAnswer,
    notFound: true,
  });
}
