// Entry of a rebuild worker thread: a worker does not inherit the TypeScript loader of the thread
// that starts it (tsx under the CLI, vite under the tests), so it registers tsx itself, then runs
// the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./rebuildWorker.ts');
