// The auditors' API: raw events of any stream, the funding ledger (JSON pages and CSV), any
// application, campaign or envelope as of a past instant, the integrity check and the SCDL export.
// Nothing here writes: the store is reached through a read-only view, and the one POST (verify)
// only reads.
//
// Who may call what:
// - auditor: everything;
// - grant_manager (chargé de mission): the audit trail of APPLICATIONS only — their raw events and
//   their state as of a date — because instructing a dossier means knowing its history; the ledger,
//   campaigns, envelopes, integrity and exports stay with auditors;
// - evaluator and every other role: nothing (403). Evaluators read projections and statistics,
//   never raw events.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { logDigest } from '../../infra/eventstore/anchor';
import { verifyIntegrity } from '../../infra/eventstore/integrity';
import type { EventStore, RecordedEvent } from '../../infra/eventstore/port';
import { principalOf, requireRole } from '../http/platform/auth';
import { requestLogger } from '../http/platform/correlation';
import { storedEventUnreadable } from '../http/storedEventUnreadable';
import { acceptsGzip } from '../http/platform/encoding';
import type { ApiDocumentation, RouteConfig } from '../http/platform/openapi';
import { BadRequestError, ForbiddenError, HttpError, NotFoundError } from '../http/platform/problem';
import { parseRequest, parseWith } from '../http/platform/validate';
import {
  applicationAsOf,
  asOfSummary,
  campaignAsOf,
  envelopeAsOf,
  resolveInstant,
  type AsOfResult,
  type EventStamp,
} from './asOf';
import { digestSummary, integrityReportJson } from './integrity';
import type { LogIntegrity } from './integrityWatch';
import { campaignInLog, campaignNotInLog, ledgerPage, movementLabels, type LedgerEntry } from './ledger';
import {
  LEDGER_INTEGRITY_HEADER,
  ledgerIntegrityHeader,
  ledgerIntegrityJson,
  type LedgerIntegrityJson,
} from './ledgerIntegrity';
import { ledgerCsv } from './ledgerCsv';
import { auditView } from './readOnly';
import { attribuantsFileExample, camvsAttribuants, type AttribuantDirectory } from './attribuants';
import { scdlCsv, scdlExport, scdlFileName, scdlIncompleteSummary, scdlSubventionsColumns } from './scdl';
import * as s from './schemas';

export interface AuditRouterDeps {
  eventStore: EventStore;
  /** The platform's bearer authentication (platform.authenticate). */
  authenticate: RequestHandler;
  docs?: ApiDocumentation;
  /** Names and SIRETs of the funders for the SCDL export (configuredAttribuants); default camvsAttribuants. */
  attribuants?: AttribuantDirectory;
  /**
   * The engine's watch over its log (integrityWatch.ts): its last verdict goes with the ledger and
   * the exports, and a whole-log verification asked for here becomes its verdict. Without it (the
   * periodic check turned off), the answers say the log is not watched.
   */
  integrity?: LogIntegrity;
}

const APPLICATION_STREAM_PREFIX = 'application-';

/** JSON for one stored event: 64-bit numbers as decimal strings, metadata in full. */
export const auditEventJson = (e: RecordedEvent) => ({
  id: e.id,
  stream: e.stream,
  revision: String(e.revision),
  position: String(e.position),
  type: e.type,
  data: e.data,
  metadata: e.metadata,
});

export const ledgerEntryJson = (e: LedgerEntry) => ({
  ...e,
  position: String(e.position),
  revision: String(e.revision),
  movementLabel: movementLabels[e.movement],
});

const stampJson = (stamp: EventStamp) => ({ ...stamp, revision: String(stamp.revision) });

export const asOfJson = <S>(result: AsOfResult<S>) => ({
  ...result,
  lastEvent: result.lastEvent === null ? null : stampJson(result.lastEvent),
  firstEvent: stampJson(result.firstEvent),
  outOfOrder: result.outOfOrder.map(stampJson),
});

/**
 * The as-of answer: the replay, the replayed stream's chain verified (it is short: one aggregate),
 * and both said in French.
 */
async function asOfAnswer<S>(store: EventStore, result: AsOfResult<S>, label: string) {
  const integrity = integrityReportJson(
    await verifyIntegrity(store, { stream: result.stream }),
    result.stream,
  );
  return { ...asOfJson(result), integrity, summary: asOfSummary(result, label, new Date(), integrity) };
}

/** Instants the schemas accepted: resolveInstant cannot fail on them. */
function instant(input: string, bound: 'start' | 'end'): string {
  const resolved = resolveInstant(input, bound);
  if (resolved === undefined) throw new Error(`instant non résolu après validation : ${input}`);
  return resolved;
}

const isClientGone = (error: unknown): boolean =>
  (error as { code?: unknown } | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';

/**
 * Streams CSV chunks with backpressure. The first chunk is produced before any header is sent, so a
 * failure to start (store unavailable) is still answered with a problem document. Gzipped as it
 * streams for a client that accepts it: a whole ledger is hundreds of megabytes of CSV.
 */
async function sendCsv(
  req: Request,
  res: Response,
  filename: string,
  chunks: AsyncGenerator<string>,
  integrity: LedgerIntegrityJson,
): Promise<void> {
  const first = await chunks.next();
  res.status(200);
  res.setHeader(LEDGER_INTEGRITY_HEADER, ledgerIntegrityHeader(integrity));
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  res.setHeader('Vary', 'Accept-Encoding');
  const gzip = acceptsGzip(req);
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  async function* all(): AsyncGenerator<string> {
    try {
      if (first.done !== true) yield first.value;
      yield* chunks;
    } finally {
      // Also when the client leaves mid-way: the store's read ends with it.
      await chunks.return(undefined);
    }
  }
  try {
    if (gzip) await pipeline(Readable.from(all()), createGzip(), res);
    else await pipeline(Readable.from(all()), res);
  } catch (error) {
    if (!isClientGone(error)) throw error;
    requestLogger(req).info({ export: filename }, 'export interrompu : le client a fermé la connexion');
  }
}

export function auditRouter(deps: AuditRouterDeps): Router {
  const store = auditView(deps.eventStore);
  const router = Router();
  const auditorsOnly = [deps.authenticate, requireRole('auditor')];
  const auditorsAndManagers = [deps.authenticate, requireRole('auditor', 'grant_manager')];
  const docs = deps.docs;
  const integrity = (): LedgerIntegrityJson =>
    ledgerIntegrityJson(deps.integrity?.last(), deps.integrity !== undefined);

  const document = (
    route: Omit<RouteConfig, 'security' | 'responses' | 'operationId'> & {
      operationId: string;
      ok: RouteConfig['responses'][string];
      /** Statuses besides 400, 401, 403, 500 and 503 (404: a stream, application or campaign unknown). */
      problems?: number[];
    },
  ): void => {
    if (docs === undefined) return;
    const { ok, problems = [], ...rest } = route;
    docs.registerRoute({
      ...rest,
      tags: ['Audit'],
      security: docs.bearerSecurity,
      responses: { 200: ok, ...docs.problemResponses(400, 401, 403, ...problems, 500, 503) },
    });
  };
  const json = (description: string, schema: z.ZodType) => ({
    description,
    content: { 'application/json': { schema } },
  });
  const csv = (description: string) => ({
    description,
    content: { 'text/csv': { schema: { type: 'string' as const } } },
  });

  // ---- raw events of one stream ----
  document({
    method: 'get',
    path: '/api/audit/streams/{stream}/events',
    operationId: 'listStreamEvents',
    problems: [404],
    summary: 'Événements d’un flux, dans l’ordre, avec toutes leurs métadonnées (pagination par révision)',
    description:
      'Auditeurs : tout flux. Chargés de mission : les flux de candidature (application-<id>) seulement.',
    request: { params: s.streamEventsParams, query: s.streamEventsQuery },
    ok: json('Une page d’événements', s.streamEventsResponse),
  });
  router.get('/api/audit/streams/:stream/events', ...auditorsAndManagers, async (req, res) => {
    const { params, query } = parseRequest(req, { params: s.streamEventsParams, query: s.streamEventsQuery });
    const principal = principalOf(req);
    if (principal.role !== 'auditor' && !params.stream.startsWith(APPLICATION_STREAM_PREFIX)) {
      throw new ForbiddenError(
        'Un chargé de mission consulte l’historique des candidatures (flux application-…) ; ' +
          'le reste du journal est réservé aux auditeurs.',
        'AUDIT_SCOPE',
      );
    }
    const from = BigInt(query.from ?? '0');
    const limit = query.limit ?? 100;
    // One more than asked: whether a next page exists, without a second read.
    const events = await store.readStream(params.stream, {
      from,
      maxCount: limit + 1,
      raw: (query.data ?? 'stored') === 'stored',
    });
    if (
      events.length === 0 &&
      (from === 0n || (await store.readStream(params.stream, { maxCount: 1 })).length === 0)
    ) {
      throw new NotFoundError(
        `Le flux « ${params.stream} » n’existe pas (aucun événement).`,
        'STREAM_NOT_FOUND',
      );
    }
    const page = events.slice(0, limit);
    const last = page[page.length - 1];
    res.json({
      stream: params.stream,
      events: page.map(auditEventJson),
      next: events.length > limit && last !== undefined ? String(last.revision + 1n) : null,
    });
  });

  // ---- the funding ledger ----
  /**
   * A campaign filter naming a campaign the log has never seen is a typo, not a campaign without
   * money: a 404 naming it rather than an empty ledger.
   */
  const requireCampaignInLog = async (campaign: string | undefined): Promise<void> => {
    if (campaign === undefined) return;
    if (!(await campaignInLog(store, campaign)))
      throw new NotFoundError(campaignNotInLog(campaign), 'CAMPAIGN_NOT_FOUND');
  };
  document({
    method: 'get',
    path: '/api/audit/ledger',
    operationId: 'listLedgerEntries',
    problems: [404],
    summary:
      'Grand livre des financements (JSON), par position globale, filtrable par dates, financeur, campagne',
    request: { query: s.ledgerQuery },
    ok: json('Une page d’écritures', s.ledgerPageResponse),
  });
  router.get('/api/audit/ledger', ...auditorsOnly, async (req, res) => {
    const { query } = parseRequest(req, { query: s.ledgerQuery });
    // A position past the head is a mistake (a cursor from another log, a typo), not an empty page.
    if (query.after !== undefined) {
      const head = await store.headPosition();
      if (BigInt(query.after) > head)
        throw new BadRequestError(
          `Le journal s’arrête à la position ${head} : rien après ${query.after}.`,
          'POSITION_BEYOND_HEAD',
        );
    }
    await requireCampaignInLog(query.campaign);
    const page = await ledgerPage(
      store,
      {
        ...(query.after === undefined ? {} : { after: BigInt(query.after) }),
        ...(query.from === undefined ? {} : { from: instant(query.from, 'start') }),
        ...(query.to === undefined ? {} : { to: instant(query.to, 'end') }),
        time: query.time ?? 'business',
        ...(query.funder === undefined ? {} : { funder: query.funder }),
        ...(query.campaign === undefined ? {} : { campaign: query.campaign }),
      },
      { limit: query.limit ?? 200 },
    );
    res.json({
      entries: page.entries.map(ledgerEntryJson),
      next: page.next === null ? null : String(page.next),
      lastPosition: page.lastPosition === null ? null : String(page.lastPosition),
      scanned: page.scanned,
      integrity: integrity(),
    });
  });

  document({
    method: 'get',
    path: '/api/audit/ledger.csv',
    operationId: 'exportLedgerCsv',
    problems: [404],
    summary: 'Grand livre des financements en CSV (RFC 4180, UTF-8), diffusé au fil de la lecture',
    request: { query: s.ledgerCsvQuery },
    ok: csv('Le grand livre filtré'),
  });
  router.get('/api/audit/ledger.csv', ...auditorsOnly, async (req, res) => {
    const { query } = parseRequest(req, { query: s.ledgerCsvQuery });
    await requireCampaignInLog(query.campaign);
    await sendCsv(
      req,
      res,
      'grand-livre-financements.csv',
      ledgerCsv(store, {
        ...(query.from === undefined ? {} : { from: instant(query.from, 'start') }),
        ...(query.to === undefined ? {} : { to: instant(query.to, 'end') }),
        time: query.time ?? 'business',
        ...(query.funder === undefined ? {} : { funder: query.funder }),
        ...(query.campaign === undefined ? {} : { campaign: query.campaign }),
      }),
      integrity(),
    );
  });

  // ---- state as of a past instant ----
  const notFound = (what: string): never => {
    throw new NotFoundError(`${what} n’existe pas (aucun événement).`, 'STREAM_NOT_FOUND');
  };

  document({
    method: 'get',
    path: '/api/audit/applications/{id}/as-of',
    operationId: 'getApplicationAsOf',
    problems: [404],
    summary: 'État d’une candidature à un instant passé (date métier ou date d’enregistrement)',
    description: 'Auditeurs et chargés de mission.',
    request: { params: s.applicationAsOfParams, query: s.asOfQuery },
    ok: json('L’état rejoué', s.asOfResponse),
  });
  router.get('/api/audit/applications/:id/as-of', ...auditorsAndManagers, async (req, res) => {
    const { params, query } = parseRequest(req, { params: s.applicationAsOfParams, query: s.asOfQuery });
    const result = await applicationAsOf(store, params.id, {
      at: instant(query.at, 'end'),
      time: query.time,
    });
    res.json(
      await asOfAnswer(store, result ?? notFound(`La candidature « ${params.id} »`), 'la candidature'),
    );
  });

  document({
    method: 'get',
    path: '/api/audit/campaigns/{id}/as-of',
    operationId: 'getCampaignAsOf',
    problems: [404],
    summary: 'État d’une campagne (AMI) à un instant passé',
    request: { params: s.campaignAsOfParams, query: s.asOfQuery },
    ok: json('L’état rejoué', s.asOfResponse),
  });
  router.get('/api/audit/campaigns/:id/as-of', ...auditorsOnly, async (req, res) => {
    const { params, query } = parseRequest(req, { params: s.campaignAsOfParams, query: s.asOfQuery });
    const result = await campaignAsOf(store, params.id, { at: instant(query.at, 'end'), time: query.time });
    res.json(await asOfAnswer(store, result ?? notFound(`La campagne « ${params.id} »`), 'la campagne'));
  });

  document({
    method: 'get',
    path: '/api/audit/envelopes/{campaignId}/{funder}/as-of',
    operationId: 'getEnvelopeAsOf',
    problems: [404],
    summary: 'État de l’enveloppe d’un financeur pour une campagne à un instant passé (réservations)',
    request: { params: s.envelopeAsOfParams, query: s.asOfQuery },
    ok: json('L’état rejoué', s.asOfResponse),
  });
  router.get('/api/audit/envelopes/:campaignId/:funder/as-of', ...auditorsOnly, async (req, res) => {
    const { params, query } = parseRequest(req, { params: s.envelopeAsOfParams, query: s.asOfQuery });
    const result = await envelopeAsOf(store, params.campaignId, params.funder, {
      at: instant(query.at, 'end'),
      time: query.time,
    });
    res.json(
      await asOfAnswer(
        store,
        result ?? notFound(`L’enveloppe ${params.funder} de la campagne « ${params.campaignId} »`),
        'l’enveloppe',
      ),
    );
  });

  // ---- integrity ----
  document({
    method: 'post',
    path: '/api/audit/verify',
    operationId: 'verifyIntegrity',
    problems: [404, 413, 415],
    summary:
      'Vérifier l’intégrité du journal (chaîne d’empreintes SHA-256) : nomme chaque flux altéré à son premier événement altéré',
    description: 'Ne modifie rien. Sur le journal entier, la durée croît avec le nombre d’événements.',
    // No body at all checks the whole log.
    request: { body: { required: false, content: { 'application/json': { schema: s.verifyBody } } } },
    ok: json('Le rapport (ok=false quand une altération est trouvée)', s.integrityReportResponse),
  });
  router.post('/api/audit/verify', ...auditorsOnly, async (req, res) => {
    // No body at all means the whole log.
    const body = parseWith(s.verifyBody, req.body ?? {}, 'body');
    if (body.stream !== undefined && (await store.readStream(body.stream, { maxCount: 1 })).length === 0) {
      // A check of nothing must not read as a pass.
      notFound(`Le flux « ${body.stream} »`);
    }
    const started = performance.now();
    const report = await verifyIntegrity(store, body.stream === undefined ? {} : { stream: body.stream });
    if (body.stream === undefined) deps.integrity?.record(report, Math.round(performance.now() - started));
    res.json(integrityReportJson(report, body.stream));
  });

  document({
    method: 'get',
    path: '/api/audit/digest',
    operationId: 'getLogDigest',
    summary: 'L’empreinte du journal jusqu’à une position : la comparer à celle notée ailleurs (ancrage)',
    description:
      'SHA-256 sur la position, l’identifiant, l’empreinte enregistrée et l’empreinte recalculée de chaque ' +
      'événement, dans l’ordre du journal : celle que grants backup note dans sauvegarde.json et que grants ' +
      'audit digest recalcule. Identique tant que rien n’a été réécrit, modifié sur place ni retiré avant cette ' +
      'position, même avec des empreintes recalculées. `altered` compte les événements dont le contenu ne ' +
      'donne plus l’empreinte enregistrée.',
    request: { query: s.digestQuery },
    ok: json('L’empreinte', s.digestResponse),
  });
  router.get('/api/audit/digest', ...auditorsOnly, async (req, res) => {
    const { query } = parseRequest(req, { query: s.digestQuery });
    const head = await store.headPosition();
    const upTo = query.upTo === undefined ? head : BigInt(query.upTo);
    if (upTo > head)
      throw new BadRequestError(
        `Le journal s’arrête à la position ${head} : pas d’empreinte jusqu’à ${upTo}.`,
        'POSITION_BEYOND_HEAD',
      );
    const result = await logDigest(store, upTo);
    const first = result.firstMismatch;
    res.json({
      upTo: String(result.upTo),
      events: result.events,
      digest: result.digest,
      altered: {
        events: result.mismatches,
        ...(first === undefined
          ? {}
          : {
              first: {
                position: String(first.position),
                stream: first.stream,
                revision: String(first.revision),
                eventId: first.id,
              },
            }),
      },
      summary: digestSummary(result),
    });
  });

  // ---- open data ----
  // A file missing a mandatory value must not go out looking compliant: the CSV is refused unless
  // the caller asks for it as it is; the JSON always answers, saying what is missing.
  const attribuants = deps.attribuants ?? camvsAttribuants;
  document({
    method: 'get',
    path: '/api/audit/exports/scdl.csv',
    operationId: 'exportScdlCsv',
    problems: [422],
    summary: 'Subventions attribuées d’une année au format SCDL « subventions » 2.1.1 (CSV)',
    description:
      'Valeurs exactes (données ouvertes : rien n’est préfixé pour les tableurs). Refusé (422 SCDL_INCOMPLETE) ' +
      'quand un financeur n’a pas de SIRET connu (idAttribuant, obligatoire), sauf avec allowIncomplete=true. ' +
      'Les noms officiels et SIRET des financeurs viennent du fichier GRANTS_ATTRIBUANTS_FILE.',
    request: { query: s.scdlCsvQuery },
    ok: csv('Une ligne par bénéficiaire et financeur des conventions entrées en vigueur cette année'),
  });
  router.get('/api/audit/exports/scdl.csv', ...auditorsOnly, async (req, res) => {
    const { query } = parseRequest(req, { query: s.scdlCsvQuery });
    const year = Number(query.year);
    const result = await scdlExport(store, {
      year,
      aboveThresholdOnly: query.aboveThreshold === 'true',
      attribuants,
      ...(query.asOf === undefined ? {} : { asOf: instant(query.asOf, 'end') }),
    });
    if (!result.complete && query.allowIncomplete !== 'true') {
      throw new HttpError(
        'exportIncomplete',
        `${scdlIncompleteSummary(result)} Renseignez leur nom officiel et leur SIRET dans le fichier des ` +
          `attribuants désigné par GRANTS_ATTRIBUANTS_FILE (${attribuantsFileExample}) puis redémarrez le ` +
          'moteur ; ou demandez le fichier incomplet avec allowIncomplete=true, à compléter avant publication.',
      );
    }
    res
      .status(200)
      .setHeader(LEDGER_INTEGRITY_HEADER, ledgerIntegrityHeader(integrity()))
      .setHeader('Content-Disposition', `attachment; filename="${scdlFileName(result)}"`)
      .type('text/csv; charset=utf-8')
      .send(scdlCsv(result.rows));
  });

  document({
    method: 'get',
    path: '/api/audit/exports/scdl',
    operationId: 'exportScdl',
    summary:
      'Le même export en JSON : pour chaque ligne l’obligation de publication et sa règle, ce qui manque, les avertissements',
    description:
      'Répond même quand l’export est incomplet (complete=false, missingIdAttribuant) : c’est la vue de relecture.',
    request: { query: s.scdlQuery },
    ok: json('Lignes, seuil de publication, complétude, avertissements', s.scdlResponse),
  });
  router.get('/api/audit/exports/scdl', ...auditorsOnly, async (req, res) => {
    const { query } = parseRequest(req, { query: s.scdlQuery });
    const result = await scdlExport(store, {
      year: Number(query.year),
      aboveThresholdOnly: query.aboveThreshold === 'true',
      attribuants,
      ...(query.asOf === undefined ? {} : { asOf: instant(query.asOf, 'end') }),
    });
    res.json({ ...result, columns: scdlSubventionsColumns, integrity: integrity() });
  });

  router.use(storedEventUnreadable);

  return router;
}
