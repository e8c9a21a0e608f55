// The command API: one route per step of the lifecycle, each turned into the workflow update of
// its domain command and answered with the new state, the actions now possible and an ETag.
// Thin on purpose: parse with zod, call the workflow, map errors (platform/problem.ts).
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { ulid } from 'ulid';
import { z } from 'zod';
import type { ApplicationCommand } from '../../domain/application';
import { toCampaignSnapshot, type CampaignCommand } from '../../domain/campaign';
import { qpvCodesOf } from '../../domain/reference/qpv';
import { allowedTo } from '../../domain/shared/decision';
import {
  AggregateNotFoundError,
  DomainRefusalError,
  RevisionMismatchError,
  StepPendingError,
  type AggregateView,
  type GrantsClient,
  type StepActor,
  type StepContext,
} from '../../workflows/client';
import { nameAnswerSchemas, stepAnswer } from '../http/answerSchemas';
import { principalOf, type Principal, type Role } from '../http/platform/auth';
import { correlationIdOf, requestLogger } from '../http/platform/correlation';
import { etagOf, parseIfMatch, setETag } from '../http/platform/etag';
import type { ApiDocumentation } from '../http/platform/openapi';
import {
  BadRequestError,
  HttpError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
  refusalFieldErrors,
} from '../http/platform/problem';
import { noQuery, parseRequest } from '../http/platform/validate';
import {
  assertSameRequest,
  idempotencyKeyOf,
  keyedApplicationId,
  keyedCommandId,
  requestDigestOf,
} from './idempotency';
import type { WorkerPresence } from '../../infra/temporal/workerPresence';
import { temporalUnreachable } from '../http/temporalUnreachable';
import { workersUnavailable } from '../http/workersUnavailable';
import { qpvReference, qpvReferenceVersions } from '../../domain/reference/qpvReferences';
import { assertAmountsWithinCap } from './amountCap';
import * as body from './schemas';

export interface CommandRoutesDeps {
  grants: GrantsClient;
  authenticate: RequestHandler;
  requireRole: (...roles: Role[]) => RequestHandler;
  docs?: ApiDocumentation;
  /**
   * Whether a worker takes the workflows' tasks, asked before a step is sent: given when the workers
   * run in other processes. Without one, a step would wait for its workflow to accept it until a
   * worker came back (no answer meanwhile), and be delivered then: it is refused at once instead.
   */
  workers?: WorkerPresence;
}

type Params = Record<string, string | number>;

interface CommandRoute<B extends z.ZodType, P extends z.ZodType> {
  path: string;
  /** The OpenAPI operationId: the step's name, for generated clients. */
  operationId: string;
  summary: string;
  roles: Role[];
  params: P;
  body: B;
  /** 201 for creations. */
  status?: number;
  kind: 'application' | 'campaign';
  run(
    grants: GrantsClient,
    input: {
      params: z.output<P>;
      body: z.output<B>;
      principal: Principal;
      /** The id of what a creation creates: derived from the Idempotency-Key when there is one. */
      newId: string;
    },
    context: StepContext,
  ): Promise<AggregateView<unknown>>;
}

const route = <B extends z.ZodType, P extends z.ZodType>(r: CommandRoute<B, P>) =>
  r as unknown as CommandRoute<z.ZodType, z.ZodType>;

const applicationStep =
  <B>(toCommand: (body: B, principal: Principal, params: { id: string } & Params) => ApplicationCommand) =>
  (
    grants: GrantsClient,
    input: { params: { id: string } & Params; body: B; principal: Principal },
    context: StepContext,
  ) =>
    grants.applicationCommand(input.params.id, toCommand(input.body, input.principal, input.params), context);

const campaignStep =
  <B>(toCommand: (body: B) => CampaignCommand) =>
  (grants: GrantsClient, input: { params: { id: string }; body: B }, context: StepContext) =>
    grants.campaignCommand(input.params.id, toCommand(input.body), context);

/** Strips the `decision` discriminator the HTTP body uses to pick a command. */
const without = <T extends { decision: string }>(b: T): Omit<T, 'decision'> => {
  const { decision: _d, ...rest } = b;
  return rest;
};

export const commandRoutes = [
  route({
    path: '/api/campaigns',
    operationId: 'createCampaign',
    summary: 'Créer la campagne annuelle (AMI) : fenêtre de dépôt, thèmes, financeurs et enveloppes',
    roles: ['grant_manager'],
    params: z.object({}),
    body: body.createCampaignBody,
    status: 201,
    kind: 'campaign',
    run: (grants, { body: b }, context) => {
      assertKnownQuartiers(b.territory);
      return grants.createCampaign({ type: 'CreateCampaign', ...b }, context);
    },
  }),
  route({
    path: '/api/campaigns/:id/open',
    operationId: 'openCampaign',
    summary: 'Ouvrir la fenêtre de dépôt',
    roles: ['grant_manager'],
    params: body.campaignIdParams,
    body: body.openCampaignBody,
    kind: 'campaign',
    run: campaignStep(() => ({ type: 'OpenCampaign' })),
  }),
  route({
    path: '/api/campaigns/:id/close',
    operationId: 'closeCampaign',
    summary: 'Fermer la fenêtre de dépôt',
    roles: ['grant_manager'],
    params: body.campaignIdParams,
    body: body.closeCampaignBody,
    kind: 'campaign',
    run: campaignStep((b: z.output<typeof body.closeCampaignBody>) => ({ type: 'CloseCampaign', ...b })),
  }),
  route({
    path: '/api/campaigns/:id/envelopes',
    operationId: 'adjustFunderEnvelope',
    summary: "Ajuster l'enveloppe d'un financeur (motif obligatoire)",
    roles: ['grant_manager'],
    params: body.campaignIdParams,
    body: body.adjustEnvelopeBody,
    kind: 'campaign',
    run: campaignStep((b: z.output<typeof body.adjustEnvelopeBody>) => ({
      type: 'AdjustFunderEnvelope',
      ...b,
    })),
  }),
  route({
    path: '/api/applications',
    operationId: 'submitApplication',
    summary: 'Déposer une candidature (pendant la fenêtre de dépôt)',
    roles: ['porteur'],
    params: z.object({}),
    body: body.submitApplicationBody,
    status: 201,
    kind: 'application',
    run: async (grants, { body: b, newId }, context) => {
      // The campaign is a field of the body, not the resource of the route: an unknown one is the
      // body's mistake, named like any other field (not a 404 that reads as « no such route »).
      const unknownCampaign = () =>
        new ValidationError([
          {
            in: 'body',
            path: 'campaignId',
            pointer: '#/campaignId',
            code: 'unknown_campaign',
            message: `Campagne inconnue : « ${b.campaignId} ». Les campagnes ouvertes sont listées par GET /api/campaigns.`,
          },
        ]);
      const view = await grants.campaignView(b.campaignId).catch((error: unknown) => {
        throw error instanceof AggregateNotFoundError ? unknownCampaign() : error;
      });
      // Undefined for a campaign never created. The snapshot names the campaign's QPV reference: a
      // quartier of it outside the territory is filed with the finding « Quartiers visés hors du
      // territoire »; a code in none is unknown.
      const campaign = toCampaignSnapshot(view.state);
      if (campaign === undefined) throw unknownCampaign();
      return grants.submitApplication(
        { type: 'SubmitApplication', applicationId: newId, campaign, dossier: b.dossier },
        context,
      );
    },
  }),
  route({
    path: '/api/applications/:id/eligibility',
    operationId: 'declareEligibility',
    summary: 'Statuer sur la recevabilité : recevable, irrecevable (motifs) ou demande de compléments',
    roles: ['grant_manager'],
    params: body.applicationIdParams,
    body: body.eligibilityBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.eligibilityBody>): ApplicationCommand => {
      switch (b.decision) {
        case 'eligible':
          return { type: 'DeclareEligible', ...without(b) };
        case 'ineligible':
          return { type: 'DeclareIneligible', ...without(b) };
        case 'complements':
          return { type: 'RequestComplements', ...without(b) };
      }
    }),
  }),
  route({
    path: '/api/applications/:id/complements',
    operationId: 'provideComplements',
    summary: 'Répondre à la demande de compléments',
    roles: ['porteur'],
    params: body.applicationIdParams,
    body: body.complementsBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.complementsBody>) => ({
      type: 'ProvideComplements',
      ...b,
    })),
  }),
  route({
    path: '/api/applications/:id/positions',
    operationId: 'recordFunderPosition',
    summary: 'Enregistrer la position de son institution (engagement par année, ou refus)',
    roles: ['funder'],
    params: body.applicationIdParams,
    body: body.positionBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.positionBody>, principal) => ({
      type: 'RecordFunderPosition',
      funder: principal.institution ?? '',
      position: b.position,
      ...(b.decisionDate === undefined ? {} : { decisionDate: b.decisionDate }),
    })),
  }),
  route({
    path: '/api/applications/:id/citizen-opinion',
    operationId: 'giveCitizenOpinion',
    summary: 'Donner l’avis du conseil citoyen',
    roles: ['citizen_council'],
    params: body.applicationIdParams,
    body: body.citizenOpinionBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.citizenOpinionBody>) => ({
      type: 'GiveCitizenOpinion',
      ...b,
    })),
  }),
  route({
    path: '/api/applications/:id/committee-decision',
    operationId: 'recordCommitteeDecision',
    summary: 'Enregistrer la décision du comité de pilotage : plan de financement, ou rejet motivé',
    roles: ['grant_manager'],
    params: body.applicationIdParams,
    body: body.committeeDecisionBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.committeeDecisionBody>): ApplicationCommand =>
      b.decision === 'approved'
        ? { type: 'RecordCommitteeApproval', ...without(b) }
        : { type: 'RecordCommitteeRejection', ...without(b) },
    ),
  }),
  route({
    path: '/api/applications/:id/convention',
    operationId: 'draftConvention',
    summary: 'Rédiger la convention (CPO ou annuelle) et son échéancier de versements',
    roles: ['grant_manager'],
    params: body.applicationIdParams,
    body: body.conventionBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.conventionBody>) => ({ type: 'DraftConvention', ...b })),
  }),
  route({
    path: '/api/applications/:id/signatures',
    operationId: 'signConvention',
    summary: 'Signer la convention (le porteur, ou le financeur pour son institution)',
    roles: ['porteur', 'funder'],
    params: body.applicationIdParams,
    body: body.signatureBody,
    kind: 'application',
    run: applicationStep((_b: unknown, principal) => ({
      type: 'SignConvention',
      signatory:
        principal.role === 'funder' ? { kind: 'funder', funder: principal.institution } : { kind: 'porteur' },
    })),
  }),
  route({
    path: '/api/applications/:id/reports',
    operationId: 'submitYearlyReport',
    summary: 'Déposer le compte rendu financier annuel (CERFA 15059)',
    roles: ['porteur'],
    params: body.applicationIdParams,
    body: body.reportBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.reportBody>) => ({ type: 'SubmitYearlyReport', ...b })),
  }),
  route({
    path: '/api/applications/:id/reports/:year/review',
    operationId: 'reviewYearlyReport',
    summary: 'Examiner un compte rendu : accepté, ou corrections demandées',
    roles: ['grant_manager'],
    params: body.reportParams,
    body: body.reportReviewBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.reportReviewBody>, _p, params): ApplicationCommand => {
      const year = Number(params.year);
      return b.decision === 'accepted'
        ? { type: 'AcceptYearlyReport', year, ...without(b) }
        : { type: 'RequestReportChanges', year, ...without(b) };
    }),
  }),
  route({
    path: '/api/applications/:id/payments',
    operationId: 'orderPayment',
    summary: 'Ordonner un versement de l’échéancier',
    roles: ['grant_manager'],
    params: body.applicationIdParams,
    body: body.paymentBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.paymentBody>) => ({ type: 'OrderPayment', ...b })),
  }),
  route({
    path: '/api/applications/:id/close',
    operationId: 'closeApplication',
    summary: 'Clôturer le dossier (comptes rendus acceptés, versements soldés)',
    roles: ['grant_manager'],
    params: body.applicationIdParams,
    body: body.closeBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.closeBody>) => ({ type: 'CloseApplication', ...b })),
  }),
  route({
    path: '/api/applications/:id/terminate',
    operationId: 'terminateConvention',
    summary: 'Résilier la convention (manquement, dissolution) avec reversement des sommes non justifiées',
    roles: ['grant_manager'],
    params: body.applicationIdParams,
    body: body.terminateBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.terminateBody>) => ({ type: 'TerminateConvention', ...b })),
  }),
  route({
    path: '/api/applications/:id/withdraw',
    operationId: 'withdrawApplication',
    summary: 'Retirer sa candidature (avant l’entrée en vigueur de la convention)',
    roles: ['porteur'],
    params: body.applicationIdParams,
    body: body.withdrawBody,
    kind: 'application',
    run: applicationStep((b: z.output<typeof body.withdrawBody>) => ({ type: 'WithdrawApplication', ...b })),
  }),
];

/** Refusals about who acts are 403, like the HTTP role check; the rest of the domain's are 422. */
const forbiddenCodes = new Set([
  'FORBIDDEN_ROLE',
  'WRONG_INSTITUTION',
  'NOT_OWNER',
  'MISSING_PORTEUR_ID',
  'PORTEUR_IDENTITY_MISMATCH',
]);

export function actorOf(principal: Principal): StepActor {
  return {
    id: principal.subject,
    role: principal.role,
    institution: principal.institution,
    porteurId: principal.porteurId,
    ...(principal.role === 'porteur' && principal.siret !== undefined ? { siret: principal.siret } : {}),
    ...(principal.role === 'porteur' && principal.rna !== undefined ? { rna: principal.rna } : {}),
  };
}

/**
 * Who sends, for scoping an Idempotency-Key: the token's subject with its role and what it acts for
 * (one person may hold tokens for two associations; development tokens share subjects).
 */
const senderOf = (principal: Principal): string =>
  [principal.subject, principal.role, principal.institution ?? '', principal.porteurId ?? ''].join('\u001f');

/** Whether the request carries body bytes (a `Content-Length: 0`, as fetch sends for an empty POST, does not). */
const sentABody = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * A campaign names the QPV reference its territory is drawn from: one the engine knows (GET
 * /api/reference/qpv/{version}), and codes found in it — otherwise quartiers would show as bare
 * codes, and a made-up code would look official in every figure per quartier.
 */
function assertKnownQuartiers(territory: { qpvReferenceVersion: string; qpvCodes: readonly string[] }): void {
  const reference = qpvReference(territory.qpvReferenceVersion);
  const field = (path: string, message: string) => ({
    in: 'body' as const,
    path,
    pointer: `#/${path.replaceAll('.', '/')}`,
    code: 'unknown_reference',
    message,
  });
  if (reference === undefined)
    throw new ValidationError([
      field(
        'territory.qpvReferenceVersion',
        `Référentiel QPV inconnu : « ${territory.qpvReferenceVersion} ». Référentiels connus : ${qpvReferenceVersions().join(', ')}.`,
      ),
    ]);
  const known = new Set(qpvCodesOf(reference));
  const unknown = territory.qpvCodes.filter((code) => !known.has(code));
  if (unknown.length > 0)
    throw new ValidationError(
      unknown.map((code) =>
        field(
          `territory.qpvCodes.${territory.qpvCodes.indexOf(code)}`,
          `Le quartier ${code} n'est pas dans le référentiel ${reference.version}.`,
        ),
      ),
    );
}

/**
 * A step the workflow accepted whose outcome did not come in time: its events not yet in the log (the
 * event store does not answer), or the Temporal server or worker gone while it ran. 503 with
 * Retry-After, saying it will be recorded and how to learn its outcome. A resend is offered only under
 * an Idempotency-Key, the one resend that cannot act twice.
 */
function stepPending(kind: 'application' | 'campaign', pending: StepPendingError, keyed: boolean): HttpError {
  const what = kind === 'campaign' ? `la campagne « ${pending.id} »` : `la candidature ${pending.id}`;
  const where = kind === 'campaign' ? `/api/campaigns/${pending.id}` : `/api/applications/${pending.id}`;
  const outcome = keyed
    ? 'Pour en connaître l’issue, renvoyez la même requête avec la même Idempotency-Key : elle ne ' +
      `sera pas enregistrée deux fois, et recevra sa réponse dès qu’elle est connue ; ou consultez ${what} (GET ${where}).`
    : `Pour en connaître l’issue, consultez ${what} (GET ${where}) dans un instant ; ne renvoyez pas ` +
      'cette requête : sans Idempotency-Key, elle serait une seconde action.';
  return new HttpError(
    'unavailable',
    'Action acceptée, mais pas encore enregistrée : le journal des événements ou le serveur Temporal ne ' +
      `répond pas pour le moment. Elle le sera dès qu’ils répondront, sans autre démarche. ${outcome}`,
    { code: 'STEP_PENDING', headers: { 'Retry-After': String(stepPendingRetryAfterSeconds) } },
  );
}

/** Retry-After of a STEP_PENDING: a resend waits for the outcome again, up to the same bound. */
const stepPendingRetryAfterSeconds = 5;

/** Where a created application or campaign is read (201's Location). */
function locationOf(kind: 'application' | 'campaign', state: unknown): string {
  const { applicationId, campaignId } = state as { applicationId?: string; campaignId?: string };
  return kind === 'application'
    ? `/api/applications/${encodeURIComponent(applicationId ?? '')}`
    : `/api/campaigns/${encodeURIComponent(campaignId ?? '')}`;
}

export function commandRouter(deps: CommandRoutesDeps): Router {
  const router = Router();
  for (const r of commandRoutes) {
    router.post(
      r.path,
      deps.authenticate,
      deps.requireRole(...r.roles),
      async (req: Request, res: Response) => {
        const principal = principalOf(req);
        // No body at all reads as an empty one: a step without required fields needs none, and one with
        // them names each missing field rather than the body. A body of another type still gets its 415.
        if (req.body === undefined && !sentABody(req)) req.body = {};
        // No command takes a query parameter: one sent is a mistake to name, not to ignore.
        const parsed = parseRequest(req, { params: r.params, query: noQuery, body: r.body });
        assertAmountsWithinCap(parsed.body);
        const creation = !r.path.includes(':id');
        // If-Match travels with the command and is checked in the workflow, where steps run one at a
        // time: checked here, two senders holding the same ETag could both pass before either acts.
        const ifMatch = parseIfMatch(req.get('If-Match'));
        if (creation && ifMatch.kind !== 'absent')
          throw new BadRequestError(
            'If-Match porte sur la version d’une ressource existante ; une création n’en a pas encore : ' +
              'retirez cet en-tête.',
            'IF_MATCH_NOT_APPLICABLE',
          );
        const key = idempotencyKeyOf(req.get('Idempotency-Key'));
        const requestDigest = key === undefined ? undefined : requestDigestOf(parsed);
        const context: StepContext = {
          actor: actorOf(principal),
          commandId: key === undefined ? ulid() : keyedCommandId(key, senderOf(principal), r.path),
          correlationId: correlationIdOf(req),
          ...(ifMatch.kind === 'revision' ? { expectedRevision: String(ifMatch.revision) } : {}),
          ...(requestDigest === undefined ? {} : { requestDigest }),
        };
        const newId = key === undefined ? ulid() : keyedApplicationId(key, senderOf(principal));
        // Before anything reaches Temporal (a submission first reads its campaign's workflow).
        if (deps.workers !== undefined && !(await deps.workers.polling())) {
          requestLogger(req).warn(
            { commandId: context.commandId, route: r.path },
            'étape refusée sans être envoyée : aucun worker ne lit la file de tâches des workflows',
          );
          throw workersUnavailable('rien n’a été enregistré.');
        }
        try {
          const { requestDigest: answered, ...view } = await r.run(
            deps.grants,
            { params: parsed.params, body: parsed.body, principal, newId },
            context,
          );
          if (requestDigest !== undefined) assertSameRequest(answered, requestDigest);
          if (view.revision !== null) setETag(res, BigInt(view.revision));
          if (creation) res.location(locationOf(r.kind, view.state));
          // What the sender may do next, as GET /api/applications/{id} answers it (not every role's).
          res.status(r.status ?? 200).json({ ...view, allowed: allowedTo(view.allowed, principal) });
        } catch (error) {
          if (error instanceof DomainRefusalError && forbiddenCodes.has(error.code)) {
            // A refusal about one field of the body names it, as a 422 would.
            const errors = refusalFieldErrors(error);
            throw new HttpError('forbidden', error.message, {
              code: error.code,
              ...(errors === undefined ? {} : { errors }),
            });
          }
          // Worded as GET on the same resource answers it.
          if (error instanceof AggregateNotFoundError)
            throw r.kind === 'campaign'
              ? new NotFoundError(`La campagne « ${error.id} » est introuvable.`, 'CAMPAIGN_NOT_FOUND')
              : new NotFoundError(`La candidature ${error.id} est introuvable.`);
          if (error instanceof StepPendingError) {
            requestLogger(req).warn(
              { commandId: error.commandId, aggregateId: error.id, waitedMs: error.waitedMs },
              'étape acceptée mais pas encore enregistrée : le journal des événements ou Temporal ne répond pas',
            );
            throw stepPending(r.kind, error, key !== undefined);
          }
          if (error instanceof RevisionMismatchError)
            throw new PreconditionFailedError(
              `La ressource a changé : version actuelle ${error.current === null ? 'aucune' : etagOf(BigInt(error.current))}, ` +
                `vous avez envoyé ${req.get('If-Match') ?? ''}. Rechargez-la puis recommencez.`,
            );
          throw error;
        }
      },
    );
    if (deps.docs !== undefined) documentCommand(deps.docs, r);
  }
  router.use(temporalUnreachable);
  return router;
}

function documentCommand(docs: ApiDocumentation, r: (typeof commandRoutes)[number]): void {
  nameAnswerSchemas(docs);
  const creation = !r.path.includes(':id');
  const { ifMatch, idempotencyKey } = docs.headerParameters;
  const { streamETag, location } = docs.responseHeaders;
  docs.registerRoute({
    method: 'post',
    path: r.path.replace(/:(\w+)/g, '{$1}'),
    operationId: r.operationId,
    summary: r.summary,
    security: docs.bearerSecurity,
    // A creation has no version yet: If-Match is refused there (400 IF_MATCH_NOT_APPLICABLE).
    parameters: creation ? [idempotencyKey] : [ifMatch, idempotencyKey],
    request: {
      ...(r.path.includes(':') ? { params: r.params as z.ZodObject } : {}),
      body: {
        // Required when an empty body is refused: a step without required fields may be sent without one.
        required: !r.body.safeParse({}).success,
        content: { 'application/json': { schema: r.body } },
      },
    },
    responses: {
      [r.status ?? 200]: {
        description: creation
          ? 'Créée : son état, les actions possibles maintenant ; Location dit où la lire'
          : 'Nouvel état, actions possibles maintenant',
        headers: creation ? { ETag: streamETag, Location: location } : { ETag: streamETag },
        content: { 'application/json': { schema: stepAnswer } },
      },
      ...docs.problemResponses(400, 401, 403, 404, 412, 413, 415, 422, 500, 503),
    },
  });
}
