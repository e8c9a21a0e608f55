// Runs once before the suite: the Temporal binaries must be there (npm test's pre-step installs
// them); failing here gives one clear message instead of a hundred timeouts.
import { temporalBinaries } from '../../infra/temporal/binaries';

export default function setup(): void {
  temporalBinaries();
}
