// What the system's file error codes (and SQLite's « disk full ») mean, in French, for the messages
// people read: one table for every command that writes files (the engine's data directory, backups,
// restores), so the same failure is said with the same words wherever it happens.
const meanings: Readonly<Record<string, string>> = {
  EACCES: 'droits insuffisants',
  EPERM: 'opération non permise',
  EROFS: 'système de fichiers en lecture seule',
  ENOSPC: 'plus de place sur le disque',
  SQLITE_FULL: 'plus de place sur le disque',
  EDQUOT: 'quota disque dépassé',
  EIO: 'erreur d’entrée-sortie du disque',
  EEXIST: 'un fichier ou un dossier porte déjà ce nom',
  EISDIR: 'un dossier porte ce nom',
  ENOTDIR: 'un élément du chemin est un fichier, pas un dossier',
  ENOENT: 'chemin introuvable, ou dossier impossible à créer à cet endroit',
};

/** The French meaning of a file error code; undefined for a code not in the table. */
export const fileErrorMeaning = (code: string | undefined): string | undefined =>
  code !== undefined && Object.hasOwn(meanings, code) ? meanings[code] : undefined;

/** The codes of a disk with no room left (the system's, a quota, SQLite's). */
export const diskFullCodes: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
