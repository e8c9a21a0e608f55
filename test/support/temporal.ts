// Test environments on the real Temporal binaries the project installs (never the SDK's
// download, which needs the open internet).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalBinaries } from '../../infra/temporal/binaries';

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalBinaries().testServer } },
  });
}

export function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBinaries().cli }, ip: '127.0.0.1' },
  });
}
