// Temporal silent: the server gone (killed, restarting, unreachable), or no worker answering a query
// or an update in time (infra/temporal/unreachable.ts). Neither the user's mistake nor a bug to hide
// behind « Erreur interne »: a 503 in French that names what is silent, what became of a step (it may
// have reached its workflow before the connection dropped) and what to do. The routers that call
// Temporal end with it.
import type { NextFunction, Request, Response } from 'express';
import { temporalSilence, type TemporalSilence } from '../../infra/temporal/unreachable';
import { requestLogger } from './platform/correlation';
import { engineUnavailable } from './workersUnavailable';

/** What is silent, as people say it. */
const silent: Record<TemporalSilence, string> = {
  unreachable: 'Le serveur Temporal (les workflows des dossiers) ne répond pas',
  'no-answer-in-time':
    'Les workflows des dossiers n’ont pas répondu à temps (aucun worker n’a pris la demande : arrêté, en redémarrage ou très chargé)',
};

const whatToDo =
  'Réessayez dans un instant ; si cela dure, le moteur est à redémarrer (son état : GET /health).';

/** What a request could not do, by its method: a read read nothing, a step may have gone through. */
function detailFor(req: Request, silence: TemporalSilence): string {
  if (req.method === 'GET' || req.method === 'HEAD')
    return `${silent[silence]} : cet état ne peut être lu pour le moment. ${whatToDo}`;
  const keyed = req.get('Idempotency-Key') !== undefined;
  return (
    `${silent[silence]} : l’action n’a peut-être pas été transmise, ou sa réponse s’est perdue. ` +
    (keyed
      ? 'Renvoyez la même requête avec la même Idempotency-Key dans un instant : elle ne sera pas enregistrée deux fois. '
      : 'Avant de la renvoyer, consultez le dossier (sans Idempotency-Key, un renvoi serait une seconde action). ') +
    'Si cela dure, le moteur est à redémarrer (son état : GET /health).'
  );
}

/** Express error middleware: 503 ENGINE_UNAVAILABLE when Temporal did not answer, anything else passed on. */
export function temporalUnreachable(error: unknown, req: Request, _res: Response, next: NextFunction): void {
  const silence = temporalSilence(error);
  if (silence === undefined) {
    next(error);
    return;
  }
  // The server gone is an operator's matter; a late worker, first a warning.
  const log = requestLogger(req);
  if (silence === 'unreachable') log.error({ err: error }, 'le serveur Temporal ne répond pas');
  else log.warn({ err: error }, 'Temporal : aucune réponse à temps (pas de worker pour la demande ?)');
  next(engineUnavailable(detailFor(req, silence), error));
}
