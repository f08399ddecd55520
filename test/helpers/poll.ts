// Waiting on real processes: poll for a state with a deadline (never a fixed sleep).

/** Thrown by a check to end the wait at once (the process it waits on has died). */
export class PollAbort extends Error {}

/**
 * Calls `check` every `intervalMs` until it returns a value other than undefined or false, and
 * returns that value; throws after `timeoutMs` naming `what` and the last error `check` threw.
 * A PollAbort from `check` ends the wait at once.
 */
export async function poll<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof PollAbort) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
