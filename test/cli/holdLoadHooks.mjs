// Module hooks (node:module register) that hold the loading of one module, named by the end of its
// path in HOLD_LOAD_MODULE, until the file HOLD_LOAD_RELEASE exists; HOLD_LOAD_REACHED is written when
// the hold begins. On a slow machine a command's code takes a second or more to load: held there, a
// Ctrl-C arrives at that moment every time. The hooks run in a thread of their own: the command's
// thread, waiting on the import, hears its signals meanwhile.
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const held = process.env.HOLD_LOAD_MODULE;
const reached = process.env.HOLD_LOAD_REACHED;
const release = process.env.HOLD_LOAD_RELEASE;

export async function load(url, context, nextLoad) {
  if (held && reached && release && new URL(url).pathname.endsWith(held)) {
    writeFileSync(reached, url);
    while (!existsSync(release)) await sleep(10);
  }
  return nextLoad(url, context);
}
