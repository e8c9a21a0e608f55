// Prebuilds the workflow bundle for production start-up (the Dockerfile runs it), so a worker
// boots without running webpack.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { prebuiltBundlePath, workflowsPath } from '../workflows/worker';

const { code } = await bundleWorkflowCode({ workflowsPath });
mkdirSync(dirname(prebuiltBundlePath), { recursive: true });
writeFileSync(prebuiltBundlePath, code);
process.stdout.write(
  `Bundle des workflows écrit : ${prebuiltBundlePath} (${Math.round(code.length / 1024)} Kio)\n`,
);
