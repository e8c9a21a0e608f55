// Per test file: keep the Temporal SDK's own logging to warnings so test output stays readable.
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed in this process (a Runtime can be installed once): nothing to change.
}
