// The projection runtime: generic (no grants knowledge), fed by the event store's subscription.
export { type Projection, ProjectionError, projectionSignature } from './projection';
export {
  CHECKPOINT_TABLE,
  OBJECTS_TABLE,
  openReadModelDatabase,
  readCheckpoint,
  type ReadModelDatabaseOptions,
} from './database';
export {
  createProjector,
  ProjectionWaitTimeoutError,
  ProjectorStoppedError,
  type Projector,
  type ProjectorOptions,
  type ProjectorState,
  type ProjectorStatus,
  type WaitOptions,
} from './projector';
export {
  rebuildProjections,
  RebuildAbortedError,
  RebuildInProgressError,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildResult,
} from './rebuild';
export {
  createProgressReporter,
  logRebuildProgress,
  formatProgressLine,
  formatCount,
  formatDuration,
  type ProgressReporterOptions,
} from './progress';
