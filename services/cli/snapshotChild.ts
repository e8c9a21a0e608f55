// The child process `grants backup` copies one SQLite file in (backup.ts, snapshotInChild):
// snapshotSqliteFile holds its thread for as long as the file is big, so it runs here, where the
// parent can kill it at once on Ctrl-C. Arguments: source, destination. Answers one JSON line on
// stdout: `{ snapshot }`, or `{ error, snapshotError, code }`.
import { SnapshotError, snapshotSqliteFile } from '../../infra/backup/sqliteSnapshot';

const errorCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
};

const [source, destination] = process.argv.slice(2);
if (source === undefined || destination === undefined)
  throw new Error('Usage : snapshotChild.ts <source> <destination>');
try {
  process.stdout.write(JSON.stringify({ snapshot: await snapshotSqliteFile(source, destination) }));
} catch (error) {
  process.stdout.write(
    JSON.stringify({
      error: error instanceof Error ? error.message : String(error),
      snapshotError: error instanceof SnapshotError,
      // SQLite's or the system's code (SQLITE_FULL, ENOSPC…): the parent says what it means.
      code: errorCode(error instanceof SnapshotError ? error.cause : error) ?? errorCode(error),
    }),
  );
}
