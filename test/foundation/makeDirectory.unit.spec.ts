// makeDirectory, the `mkdir -p` of every folder the engine creates: what Node's recursive mkdir
// does, and an error where Node's never returns (under /proc, where creating a folder answers ENOENT
// although the parent exists: its walk takes that for « parent missing » and tries again forever).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirectory } from '../../infra/files/makeDirectory';
import { hasProcfs } from '../support/procfs';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'grants-make-directory-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const codeOf = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
};

describe('makeDirectory', () => {
  it('creates every missing folder of the path, and again is nothing to do', () => {
    const deep = join(work, 'a', 'b', 'c');
    makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeDirectory(deep)).not.toThrow();
    expect(() => makeDirectory(work)).not.toThrow();
  });

  it('refuses a plain file in the way, as mkdir -p does (EEXIST, ENOTDIR)', () => {
    const file = join(work, 'un-fichier');
    writeFileSync(file, 'pas un dossier');
    expect(codeOf(() => makeDirectory(file))).toBe('EEXIST');
    expect(codeOf(() => makeDirectory(join(file, 'dessous')))).toBe('ENOTDIR');
  });

  it('answers ENOENT under /proc, naming the folder it could not create, instead of never returning', (test) => {
    if (!hasProcfs(test)) return;
    let error: NodeJS.ErrnoException | undefined;
    try {
      makeDirectory('/proc/grants-make-directory/donnees');
    } catch (caught) {
      error = caught as NodeJS.ErrnoException;
    }
    expect(error?.code).toBe('ENOENT');
    expect(error?.syscall).toBe('mkdir');
    expect(error?.path).toBe('/proc/grants-make-directory');
  });
});
