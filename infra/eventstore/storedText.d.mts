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
  /** 1-based count of the row within its range. */
  ordinals: number[];
}

export interface StoredTextChecker {
  readonly links: Map<string, StoredLink>;
  readonly boundary: StoredBoundary;
  /** Rows that held so far. */
  readonly checked: number;
  check(rows: readonly StoredTextRow[], start?: number): number;
}

export declare function createStoredTextChecker(options?: {
  deferFirstLinks?: boolean;
  onProgress?: (checked: number) => void;
  progressEvery?: number;
}): StoredTextChecker;
