// `sauvegarde.json`, the manifest `grants backup` writes beside its copies and `grants audit verify
// --against` reads back: what was copied (each file's SHA-256), what the log held (its size, last
// event, digest: infra/eventstore/anchor.ts) and what was found when it was checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PARIS_TIME_ZONE } from '../../domain/calendar';
import { safeParseInFrench } from '../../infra/validation/safeParseInFrench';

export const MANIFEST_FILE = 'sauvegarde.json';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const decimal = z.string().regex(/^\d+$/);

/** A stream's first broken event, as integrityReportJson writes it. */
const brokenEvent = z.object({
  stream: z.string(),
  revision: decimal,
  position: decimal,
  eventId: z.string(),
  reason: z.enum(['hash_mismatch', 'chain_broken', 'revision_gap', 'malformed']),
  detail: z.string(),
});

export const backupManifestSchema = z.object({
  format: z.literal(1),
  createdAt: z.iso.datetime(),
  files: z.array(
    z.object({
      role: z.enum(['temporal', 'events']),
      // A name in the backup folder, as grants backup writes it: never a path that reads elsewhere
      // (« ../ », an absolute path), whatever hash the manifest gives it.
      file: z
        .string()
        .min(1)
        .regex(/^(?!\.\.?$)[^/\\]+$/, 'un nom de fichier du dossier de sauvegarde, sans chemin, est attendu'),
      bytes: z.number().int().nonnegative(),
      sha256,
      takenAt: z.iso.datetime(),
    }),
  ),
  journal: z.object({
    events: z.number().int().nonnegative(),
    lastPosition: decimal.nullable(),
    lastEventId: z.string().nullable(),
    lastHash: sha256.nullable(),
    /** SHA-256 over the log up to lastPosition (logDigest): a short text to keep elsewhere. */
    digest: sha256,
    /** The copied log's verification (services/audit/integrity.ts, integrityReportJson). */
    integrity: z.object({
      ok: z.boolean(),
      checked: z.number().int().nonnegative(),
      firstBroken: brokenEvent.optional(),
      // Written since the verification goes on past a break; a manifest from before lacks them.
      unchecked: z.number().int().nonnegative().optional(),
      broken: z.array(brokenEvent).optional(),
      brokenStreams: z.number().int().nonnegative().optional(),
      summary: z.string(),
    }),
  }),
  /** Streams written from the Temporal copy's start on (see backup.ts); [] without Temporal. */
  recordedDuringBackup: z.array(z.string()),
});

export type BackupManifest = z.infer<typeof backupManifestSchema>;

/** `2026-11-26T09-05-00Z`: an instant in a folder name, sortable and valid everywhere. */
export const fileStamp = (date: Date): string =>
  date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');

const parisDateTime = new Intl.DateTimeFormat('fr-FR', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: PARIS_TIME_ZONE,
});

/** `la sauvegarde du 26 novembre 2026 à 10:08 (heure de Paris)`. */
export const backupLabel = (manifest: BackupManifest): string =>
  `la sauvegarde du ${parisDateTime.format(new Date(manifest.createdAt))} (heure de Paris)`;

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** The manifest of the backup in `dir`, checked; a French ManifestError naming what is wrong. */
export function readBackupManifest(dir: string): BackupManifest {
  const file = join(dir, MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ManifestError(
      `${file} illisible : ${error instanceof Error ? error.message : String(error)} (est-ce un dossier de sauvegarde ?).`,
    );
  }
  const parsed = safeParseInFrench(backupManifestSchema, json);
  if (!parsed.success)
    throw new ManifestError(
      `${file} n’est pas un manifeste de sauvegarde : ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(racine)'} : ${i.message}`)
        .join(' ; ')}.`,
    );
  return parsed.data;
}
