// Programs the benchmark has started and not yet stopped, so an interrupted run (Ctrl-C, SIGTERM)
// leaves nothing running behind it.
const live = new Set<() => Promise<unknown>>();

/** Registers a stop function; call the returned function once the program has been stopped normally. */
export function track(stop: () => Promise<unknown>): () => void {
  live.add(stop);
  return () => live.delete(stop);
}

export async function stopAll(): Promise<void> {
  const pending = [...live].reverse();
  live.clear();
  for (const stop of pending) {
    try {
      await stop();
    } catch {
      // Best effort: the process may already be gone.
    }
  }
}
