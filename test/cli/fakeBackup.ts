// A backup folder as `grants backup` writes it, from contents a test chooses: the Temporal base and
// the log (that order, as the backup copies them), and a manifest with their sizes and SHA-256.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_FILE, type BackupManifest } from '../../services/cli/backupManifest';

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

export function fakeBackup(dir: string, files: { events: Buffer | string; temporal: Buffer | string }): void {
  mkdirSync(dir, { recursive: true });
  const now = new Date().toISOString();
  const entries = [
    { role: 'temporal' as const, file: 'temporal.sqlite', content: files.temporal },
    { role: 'events' as const, file: 'events.sqlite', content: files.events },
  ];
  for (const e of entries) writeFileSync(join(dir, e.file), e.content);
  const manifest: BackupManifest = {
    format: 1,
    createdAt: now,
    files: entries.map((e) => ({
      role: e.role,
      file: e.file,
      bytes: Buffer.byteLength(e.content),
      sha256: sha256(e.content),
      takenAt: now,
    })),
    journal: {
      events: 0,
      lastPosition: null,
      lastEventId: null,
      lastHash: null,
      digest: sha256(''),
      integrity: { ok: true, checked: 0, summary: 'journal vide' },
    },
    recordedDuringBackup: [],
  };
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}
