// `grants audit verify --against <dossier>`: is the live log, up to where a backup stopped, the one
// that was backed up? The hash chains cannot tell a stream whose end was rewritten with every hash
// recomputed, nor one cut short (infra/eventstore/anchor.ts); a copy taken earlier can. The copy is
// first checked against its manifest (its SHA-256: a reference altered since proves nothing), then
// both logs are walked side by side and the first event where they part ways is named.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sha256OfFile } from '../../infra/backup/sqliteSnapshot';
import { openSqliteEventStore } from '../../infra/eventstore';
import { compareLogs, type Divergence } from '../../infra/eventstore/anchor';
import type { EventStore } from '../../infra/eventstore/port';
import { formatCount } from '../../infra/projections/progress';
import { createGrantsEventRegistry } from '../../workflows/eventCatalog';
import type { CliIo } from './io';
import { backupLabel, type BackupManifest } from './backupManifest';

export interface AgainstBackupResult {
  /** true: identical up to the backup's last event. */
  ok: boolean;
  /** For people, in French (one paragraph). */
  summary: string;
}

const describe = (e: Divergence['expected']): string =>
  e === undefined
    ? 'rien (l’événement manque)'
    : `flux ${e.stream}, révision ${e.revision}, événement ${e.id}, empreinte ${e.hash}` +
      (e.contentHash === e.hash ? '' : ` (son contenu donne ${e.contentHash} : modifié sur place)`);

/** The verdict on `live` against the backup in `reference.dir` (its manifest already read). */
export async function verifyAgainstBackup(
  live: EventStore,
  reference: { dir: string; manifest: BackupManifest },
  io: CliIo,
  onProgress?: (compared: number, total: number) => void,
): Promise<AgainstBackupResult> {
  const { dir, manifest } = reference;
  const entry = manifest.files.find((f) => f.role === 'events');
  const file = entry === undefined ? undefined : join(dir, entry.file);
  const when = backupLabel(manifest);
  if (entry === undefined || file === undefined || !existsSync(file))
    return { ok: false, summary: `Pas de copie du journal dans ${dir} : rien à quoi comparer.` };
  io.err.write(`contrôle de la copie ${file}…\n`);
  if ((await sha256OfFile(file)) !== entry.sha256)
    return {
      ok: false,
      summary:
        `La copie du journal de ${when} (${file}) n’a plus l’empreinte SHA-256 que son manifeste ` +
        'a notée : elle a été modifiée depuis et ne peut servir de référence.',
    };
  const copy = openSqliteEventStore({ file, registry: createGrantsEventRegistry(), readOnly: true });
  try {
    const total = manifest.journal.events;
    const { compared, divergence, digest } = await compareLogs(copy, live, (n) => onProgress?.(n, total));
    if (divergence !== undefined) {
      // The live log goes on at a later position: the expected event is no longer in it (a deleted row).
      const { expected, found } = divergence;
      const deleted = expected !== undefined && found !== undefined && found.position > expected.position;
      return {
        ok: false,
        summary:
          `Le journal a été réécrit depuis ${when} : identique sur ${formatCount(compared)} événements, ` +
          `il diffère à la position ${divergence.position} — attendu ${describe(expected)} ; ` +
          (deleted
            ? `cet événement manque au journal (supprimé), qui reprend à la position ${found.position} : ${describe(found)}.`
            : `trouvé ${describe(found)}.`),
      };
    }
    if (digest !== undefined && digest.firstMismatch !== undefined) {
      const first = digest.firstMismatch;
      return {
        ok: false,
        summary:
          `Le journal concorde avec la copie de ${when} sur ses ${formatCount(compared)} événements, ` +
          `mais ${formatCount(digest.mismatches)} d’entre eux n’ont plus l’empreinte de leur contenu ` +
          `(le premier à la position ${first.position}, flux ${first.stream}, révision ${first.revision}) : ` +
          'ils ont été modifiés avant la sauvegarde, qui ne peut pas servir de référence pour eux.',
      };
    }
    if (digest?.digest !== manifest.journal.digest)
      return {
        ok: false,
        summary:
          `Le journal et la copie de ${when} concordent, mais pas avec l’empreinte que son manifeste a ` +
          'notée : le manifeste ou la copie ont été remplacés ensemble.',
      };
    const head = await live.headPosition();
    const since =
      manifest.journal.lastPosition === null ? head : head - BigInt(manifest.journal.lastPosition);
    return {
      ok: true,
      summary:
        `Identique à ${when} sur ses ${formatCount(compared)} événements (empreinte ${digest.digest}) ; ` +
        `${formatCount(since)} enregistré${since > 1n ? 's' : ''} depuis.`,
    };
  } finally {
    await copy.close();
  }
}
