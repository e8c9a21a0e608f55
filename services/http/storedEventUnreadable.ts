// A stored event the replays cannot read — its data no longer fits its type, its type is unknown, or
// it belongs to another aggregate than its stream's — is evidence for the auditor, not a bare « Erreur
// interne »: still a 500 (the request is right, the log is not), logged as an error for whoever watches
// the engine, with a detail that names the event and the verification to run. Every router that
// replays a stream ends with it (the audit's as-of, an application's detail).
import type { NextFunction, Request, Response } from 'express';
import { EventValidationError, UnknownEventTypeError } from '../../infra/eventstore/errors';
import { ForeignEventError } from '../audit/asOf';
import { requestLogger } from './platform/correlation';
import { HttpError } from './platform/problem';

const VERIFY_HINT =
  'Un événement modifié après coup dans le fichier du journal se lit ainsi : vérifiez le journal ' +
  '(POST /api/audit/verify, ou grants audit verify) ; rien n’a été rejoué.';

/**
 * A stored event the replays cannot read — its data no longer fits its type, its type is unknown, or
 * it belongs to another aggregate than its stream's — said where it is and what to run; undefined
 * for any other error.
 */
function unreadableEvent(error: unknown): string | undefined {
  if (error instanceof EventValidationError && error.stage === 'read' && error.where !== undefined) {
    const { stream, revision, position } = error.where;
    const issue = error.issues[0];
    return (
      `L’événement ${error.eventType} du flux ${stream}, révision ${revision} (position ${position}), ne se lit ` +
      `plus selon son type${issue === undefined ? '' : ` (${issue.path} : ${issue.message.replace(/\.$/, '')})`}. ${VERIFY_HINT}`
    );
  }
  if (error instanceof ForeignEventError) return `${error.message} ${VERIFY_HINT}`;
  if (error instanceof UnknownEventTypeError) return `${error.message} ${VERIFY_HINT}`;
  return undefined;
}

/** Express error middleware: 500 STORED_EVENT_UNREADABLE for such an event, anything else passed on. */
export function storedEventUnreadable(
  error: unknown,
  req: Request,
  _res: Response,
  next: NextFunction,
): void {
  const detail = unreadableEvent(error);
  if (detail === undefined) {
    next(error);
    return;
  }
  requestLogger(req).error({ err: error }, 'événement enregistré illisible');
  next(new HttpError('internal', detail, { code: 'STORED_EVENT_UNREADABLE', cause: error }));
}
