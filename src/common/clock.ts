// Time as a dependency: every controller, queue and back-off takes a Clock so tests drive time
// with FakeClock.advance() instead of sleeping.

/** A handle for a timer created by a Clock. */
export interface TimerHandle {
  /** Cancels the timer; a no-op once it has fired. */
  cancel(): void;
}

/** The source of time for controllers, queues and back-offs. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs fn once, ms milliseconds from now (immediately-ish when ms <= 0). */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

/** The wall clock, backed by Date.now and setTimeout. */
export class RealClock implements Clock {
  /** Milliseconds since the Unix epoch, from Date.now(). */
  now(): number {
    return Date.now();
  }

  /** A node timer; it does not keep the process alive on its own. */
  setTimer(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
}

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

/**
 * A clock that only moves when advance() or set() is called; timers fire in due order, during
 * the call that moves time past them. For tests.
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  private seq = 0;

  /** Starts at `start` (ms since the epoch, or a Date). */
  constructor(start: number | Date = Date.parse('2024-01-01T00:00:00Z')) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  /** The fake current time in ms since the epoch. */
  now(): number {
    return this.current;
  }

  /** Registers a timer that fires when time reaches now + ms. */
  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => { timer.live = false; } };
  }

  /** Moves time forward by ms, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /** Moves time to `to` (never backwards), firing due timers in order. */
  set(to: number): void {
    for (;;) {
      const due = this.timers
        .filter((t) => t.live && t.at <= to)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
    this.current = Math.max(this.current, to);
  }

  /** Number of timers still waiting, so tests can check that nothing was left scheduled. */
  pendingTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }
}
