// Types of storedText.mjs (plain JavaScript so that worker threads load it without a TypeScript loader).

/** A row as read with STORED_TEXT_COLUMNS, raw, integers as numbers. */
export type StoredTextRow = [
  position: number,
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string,
  metadata: string,
];

export declare const STORED_TEXT_COLUMNS: string;

export interface StoredChainFields {
  /** The hashed metadata as stored, without its closing brace. */
  core: string;
  previousHash: string | null;
  hash: string;
}

export declare function storedChainFields(metadata: unknown): StoredChainFields | undefined;

export declare function rebuiltText(
  stream: string,
  revision: number | bigint,
  id: string,
  type: string,
  data: string,
  core: string,
  previousHash: string | null,
): string;

export interface StoredLink {
  revision: number;
  hash: string;
}

/** Column lists, in position order: the first row of each stream in a range. */
export interface StoredBoundary {
  streams: string[];
  revisions: number[];
  previous: (string | null)[];
  positions: number[];
}

/** Column lists, in the order checked: each stream's first row that does not hold. */
export interface StoredFailures {
  streams: string[];
  positions: number[];
  /** The stream's link before that row, among the rows checked here; null: none here. */
  links: (StoredLink | null)[];
}

export interface StoredTextChecker {
  /** Every stream's last link; a stream that broke has a stand-in that no row matches. */
  readonly links: Map<string, StoredLink>;
  readonly boundary: StoredBoundary;
  readonly failures: StoredFailures;
  /** Rows not checked, by stream: those after the stream's first break. */
  readonly uncheckedByStream: Map<string, number>;
  /** Rows gone through so far: checked + unchecked. */
  readonly read: number;
  /** Rows after their stream's first break, not checked. */
  readonly unchecked: number;
  check(rows: readonly StoredTextRow[], start?: number): void;
}

export declare function createStoredTextChecker(options?: {
  deferFirstLinks?: boolean;
  onProgress?: (read: number) => void;
  progressEvery?: number;
}): StoredTextChecker;
