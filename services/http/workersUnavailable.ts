// The answer when no worker polls the workflows' task queue (the API apart from its workers, these
// stopped or redeploying): a step is not sent, a workflow's state cannot be read; said at once, in
// French, instead of a request left waiting for a worker (infra/temporal/workerPresence.ts).
import { HttpError } from './platform/problem';

/** Retry-After: a worker restarted by its supervisor, or a Temporal server by its engine, answers within seconds. */
const retryAfterSeconds = 10;

/** 503 ENGINE_UNAVAILABLE with its Retry-After: the workflows cannot be reached now (see also temporalUnreachable.ts). */
export function engineUnavailable(detail: string, cause?: unknown): HttpError {
  return new HttpError('unavailable', detail, {
    code: 'ENGINE_UNAVAILABLE',
    headers: { 'Retry-After': String(retryAfterSeconds) },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** 503 ENGINE_UNAVAILABLE; `what` says what could not be done (« rien n’a été enregistré. »…). */
export function workersUnavailable(what: string): HttpError {
  return engineUnavailable(
    `Aucun worker ne fait avancer les dossiers pour le moment : ${what} Réessayez dans un instant.`,
  );
}
