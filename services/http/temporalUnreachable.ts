// The Temporal server gone (killed, restarting, unreachable): the SDK's calls end, after its own
// retries, in a gRPC UNAVAILABLE or DEADLINE_EXCEEDED. Neither the user's mistake nor a bug of the
// engine's to hide behind « Erreur interne »: a 503 in French that names what is down, what became of
// a step (it may have reached its workflow before the connection dropped) and what to do. Logged as
// an error: someone must look at the engine. The routers that call Temporal end with it.
import { isGrpcServiceError } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { requestLogger } from './platform/correlation';
import { HttpError } from './platform/problem';

/** gRPC status codes (grpc.status): the server did not answer, or not in time. */
const UNREACHABLE_CODES: ReadonlySet<number> = new Set([14 /* UNAVAILABLE */, 4 /* DEADLINE_EXCEEDED */]);

/** Retry-After: a Temporal server restarted with its engine answers within seconds. */
const retryAfterSeconds = 10;

/** Whether the error, or one of its causes, is a call to Temporal that got no answer. */
export function isTemporalUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1)
    if (isGrpcServiceError(e) && UNREACHABLE_CODES.has(e.code)) return true;
  return false;
}

const whatToDo =
  'Réessayez dans un instant ; si cela dure, le moteur est à redémarrer (son état : GET /health).';

/** What a request could not do, by its method: a read read nothing, a step may have gone through. */
function detailFor(req: Request): string {
  if (req.method === 'GET' || req.method === 'HEAD')
    return `Le serveur Temporal (les workflows des dossiers) ne répond pas : cet état ne peut être lu pour le moment. ${whatToDo}`;
  const keyed = req.get('Idempotency-Key') !== undefined;
  return (
    'Le serveur Temporal (les workflows des dossiers) ne répond pas : l’action n’a peut-être pas été transmise, ' +
    'ou sa réponse s’est perdue. ' +
    (keyed
      ? 'Renvoyez la même requête avec la même Idempotency-Key dans un instant : elle ne sera pas enregistrée deux fois. '
      : 'Avant de la renvoyer, consultez le dossier (sans Idempotency-Key, un renvoi serait une seconde action). ') +
    'Si cela dure, le moteur est à redémarrer (son état : GET /health).'
  );
}

/** Express error middleware: 503 ENGINE_UNAVAILABLE when Temporal did not answer, anything else passed on. */
export function temporalUnreachable(error: unknown, req: Request, _res: Response, next: NextFunction): void {
  if (!isTemporalUnreachable(error)) {
    next(error);
    return;
  }
  requestLogger(req).error({ err: error }, 'le serveur Temporal ne répond pas');
  next(
    new HttpError('unavailable', detailFor(req), {
      code: 'ENGINE_UNAVAILABLE',
      headers: { 'Retry-After': String(retryAfterSeconds) },
      cause: error,
    }),
  );
}
