// The scheduler: pure filters, scores and one scheduling cycle, and the running loop that binds
// pending pods (startScheduler), campaigning for the kube-system/berth-scheduler Lease first.
import { RealClock, type Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { createEventRecorder } from '../client/events.js';
import type { Client } from '../client/index.js';
import { startLeaderElection, type LeaderElectionTimings } from '../controllers/leader-election.js';
import { startSchedulerCore, type SchedulerCore } from './scheduler.js';

export {
  DEFAULT_FILTERS, FilterReasons, effectiveTaints, nodeAffinity, nodeName, nodePorts, nodeResourcesFit, nodeUnschedulable,
  taintToleration, termMatches, toleratesTaint, type Filter, type FilterCode, type FilterStatus,
} from './filters.js';
export { DEFAULT_SCORES, MAX_NODE_SCORE, defaultNormalize, sameWorkload, type ScoreContext, type ScorePlugin } from './scores.js';
export { NO_NODES_MESSAGE, fitErrorMessage, schedule, scheduledMessage, type PodsOnNodes, type ScheduleOptions, type ScheduleResult, type SchedulerEvent } from './schedule.js';
export { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, allocatable, podRequests, requestedOn, type ResourceList } from './resources.js';
export { DEFAULT_SCHEDULER_NAME, needsScheduling, startSchedulerCore, type SchedulerCore, type SchedulerCoreOptions } from './scheduler.js';

/** The Lease the schedulers of a cluster compete for. */
export const SCHEDULER_LEASE = { namespace: 'kube-system', name: 'berth-scheduler' } as const;

/** Options of startScheduler. */
export interface StartSchedulerOptions {
  client: Client;
  log: Logger;
  /** Time source (tests); the wall clock by default. */
  clock?: Clock;
  /** This process's holderIdentity in the Lease. */
  identity: string;
  /** Leader-election timings (defaults: upstream's 15 s / 10 s / 2 s). */
  leaderElection?: LeaderElectionTimings;
}

/** A running scheduler. */
export interface RunningScheduler {
  /** Whether this instance holds the Lease and schedules. */
  isLeader(): boolean;
  /** Pods this instance has bound since it started. */
  bound(): number;
  /** Stops scheduling and releases the Lease. */
  stop(): Promise<void>;
}

/**
 * Starts the scheduler: campaigns for kube-system/berth-scheduler and, while leading, binds
 * pending pods. Called by `berth server`/`berth up` beside the API server, and by tests.
 */
export function startScheduler(opts: StartSchedulerOptions): RunningScheduler {
  const clock = opts.clock ?? new RealClock();
  const log = opts.log.child({ component: 'scheduler' });
  const recorder = createEventRecorder(opts.client, { component: 'default-scheduler' }, { now: () => new Date(clock.now()), log });
  let core: SchedulerCore | undefined;
  let bound = 0;
  let stopping: Promise<void> = Promise.resolve();
  const elector = startLeaderElection({
    client: opts.client, ...SCHEDULER_LEASE, identity: opts.identity, clock, log, ...opts.leaderElection,
    onStartedLeading: () => {
      core = startSchedulerCore({ client: opts.client, clock, log, recorder });
    },
    onStoppedLeading: () => {
      const c = core;
      core = undefined;
      if (c) stopping = stopping.then(async () => { bound += c.bound(); await c.stop(); });
    },
  });
  return {
    isLeader: () => elector.isLeader(),
    bound: () => bound + (core?.bound() ?? 0),
    async stop() {
      await elector.stop();
      await stopping;
      await recorder.flush();
    },
  };
}
