// Runs workflow steps one at a time. Update handlers are async (they await the append
// activity), so without this two steps could decide against the same state and both be
// recorded. Deterministic: only promises, no timers or I/O.
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step, step);
    // The next step waits for this one whatever its outcome.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
