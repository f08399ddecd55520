// Component lifecycle for `berth up` and `berth agent`: components start in order, each only
// after the one before it is ready, with one progress line per step; they stop in reverse order.
// A component that fails to start stops everything started before it, so a failed start leaves
// nothing behind but what `berth down` cleans (containers, by design, survive a stop).
import type { Logger } from '../common/log.js';

/** A started component: how to stop it. */
export interface Running {
  stop(): Promise<void>;
}

/** One step of a start sequence. */
export interface Component {
  /** Shown in progress lines, e.g. `API server`. */
  name: string;
  /** Starts the component and resolves once it is ready; what it returns is stopped on shutdown. */
  start(): Promise<Running | void>;
}

/** Starts components in order and stops them in reverse. */
export class Supervisor {
  private readonly started: { name: string; running: Running }[] = [];
  private stopping: Promise<void> | undefined;

  /** `progress` receives one line per step (stdout for the CLI). */
  constructor(private readonly log: Logger, private readonly progress: (line: string) => void) {}

  /**
   * Runs each component's start in turn. On the first failure, stops what started and rejects
   * with that failure's message prefixed by the component's name.
   */
  async start(components: Component[]): Promise<void> {
    for (const c of components) {
      const t0 = Date.now();
      this.progress(`starting ${c.name}...`);
      let running: Running | void;
      try {
        running = await c.start();
      } catch (e) {
        this.log.debug({ component: c.name, err: (e as Error).message }, 'start failed');
        await this.stop();
        throw new Error(`${c.name}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
      }
      if (running) this.started.push({ name: c.name, running });
      this.progress(`${c.name} ready (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    }
  }

  /** Stops every started component, newest first; errors are logged, not thrown. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      while (this.started.length) {
        const { name, running } = this.started.pop()!;
        try {
          await running.stop();
        } catch (e) {
          this.log.warn({ component: name, err: (e as Error).message }, 'stop failed');
        }
      }
    })();
    return this.stopping;
  }
}

/** Resolves on the first SIGINT or SIGTERM (and removes the handlers). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = (): void => on('SIGINT');
    const onTerm = (): void => on('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
