// The controllers: pure decisions per controller (one namespace each) and the running
// controller manager (startControllers), which campaigns for the
// kube-system/berth-controller-manager Lease and, while leading, runs the selected controllers
// over one set of shared informers, all through the API client.
import { RealClock, type Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import type { Client } from '../client/index.js';
import { recorderFactory, type ControllerContext, type RunningController } from './context.js';
import { startDeploymentController } from './deployment/controller.js';
import { startEndpointSliceController, startEndpointsController } from './endpoints/controller.js';
import { startGarbageCollector } from './gc/controller.js';
import { InformerFactory } from './informers.js';
import { startLeaderElection, type LeaderElectionTimings } from './leader-election.js';
import { startNamespaceController } from './namespace/controller.js';
import { startNodeLifecycleController, type NodeLifecycleOptions } from './nodelifecycle/controller.js';
import { startReplicaSetController } from './replicaset/controller.js';
import { startRootCaPublisher, startServiceAccountController } from './serviceaccount/controller.js';

export * as deployment from './deployment/index.js';
export * as replicaset from './replicaset/index.js';
export * as endpoints from './endpoints/index.js';
export * as gc from './gc/index.js';
export * as namespace from './namespace/index.js';
export * as nodelifecycle from './nodelifecycle/index.js';
export { claimObjects, type Claim } from './claim.js';
export { EXPECTATIONS_TIMEOUT_MS, Expectations } from './expectations.js';
export { runWorkers, type SyncFn, type SyncResult, type WorkerOptions } from './worker.js';
export {
  canonicalJson, controllerOf, fnv32a, isPodActive, isPodAvailable, isPodReady, newControllerRef, rfc3339,
  safeEncodeString, type ControllerEvent,
} from './objects.js';
export { InformerFactory, type InformerScope, type SharedInformer } from './informers.js';
export {
  LEASE_DURATION_MS, RENEW_DEADLINE_MS, RETRY_PERIOD_MS, microTime, startLeaderElection,
  type LeaderElectionOptions, type LeaderElectionTimings, type LeaderElector,
} from './leader-election.js';
export type { ControllerContext, RunningController } from './context.js';
export { NODE_MONITOR_PERIOD_MS, type NodeLifecycleOptions } from './nodelifecycle/controller.js';

/** The Lease the controller managers of a cluster compete for. */
export const CONTROLLER_MANAGER_LEASE = { namespace: 'kube-system', name: 'berth-controller-manager' } as const;

const STARTERS = {
  deployment: (ctx: ControllerContext) => startDeploymentController(ctx),
  replicaset: (ctx: ControllerContext) => startReplicaSetController(ctx),
  garbagecollector: (ctx: ControllerContext) => startGarbageCollector(ctx),
  namespace: (ctx: ControllerContext) => startNamespaceController(ctx),
  serviceaccount: (ctx: ControllerContext) => startServiceAccountController(ctx),
  'root-ca-cert-publisher': (ctx: ControllerContext) => startRootCaPublisher(ctx),
  nodelifecycle: (ctx: ControllerContext, o: NodeLifecycleOptions) => startNodeLifecycleController(ctx, o),
  endpoints: (ctx: ControllerContext) => startEndpointsController(ctx),
  endpointslice: (ctx: ControllerContext) => startEndpointSliceController(ctx),
} satisfies Record<string, (ctx: ControllerContext, o: NodeLifecycleOptions) => RunningController>;

/** Every controller startControllers can run (kube-controller-manager's --controllers names). */
export const controllerNames = Object.keys(STARTERS) as ReadonlyArray<keyof typeof STARTERS>;

/** Options of startControllers. */
export interface StartControllersOptions {
  client: Client;
  log: Logger;
  /** Time source (tests); the wall clock by default. */
  clock?: Clock;
  /** This process's holderIdentity in the Lease. */
  identity: string;
  /** The controllers to run (default: all of controllerNames). */
  controllers?: string[];
  /** Leader-election timings (defaults: upstream's 15 s / 10 s / 2 s). */
  leaderElection?: LeaderElectionTimings;
  /** Node lifecycle timings (defaults: monitor period 5 s, grace period 50 s). */
  nodeLifecycle?: NodeLifecycleOptions;
}

/** A running controller manager. */
export interface ControllerManager {
  /** Whether this instance holds the Lease and runs the controllers. */
  isLeader(): boolean;
  /** Stops the controllers and releases the Lease. */
  stop(): Promise<void>;
}

/**
 * Starts the controller manager beside an API server (`berth server`, `berth up`) or in a test:
 * campaigns for kube-system/berth-controller-manager and, while leading, runs the controllers.
 * Unknown names in `controllers` throw at once.
 */
export function startControllers(opts: StartControllersOptions): ControllerManager {
  const wanted = opts.controllers ?? [...controllerNames];
  for (const name of wanted) if (!(name in STARTERS)) throw new Error(`unknown controller "${name}"; known: ${controllerNames.join(', ')}`);
  const clock = opts.clock ?? new RealClock();
  const log = opts.log.child({ component: 'controller-manager' });
  let running: { informers: InformerFactory; controllers: RunningController[] } | undefined;
  let stopping: Promise<void> = Promise.resolve();

  const start = (): void => {
    const informers = new InformerFactory(opts.client, log);
    const ctx: ControllerContext = { client: opts.client, informers, clock, log, recorder: recorderFactory(opts.client, clock, log) };
    const controllers = wanted.map((name) => STARTERS[name as keyof typeof STARTERS](ctx, opts.nodeLifecycle ?? {}));
    running = { informers, controllers };
    log.info({ controllers: wanted }, 'controllers started');
  };
  const stopRunning = (): void => {
    const r = running;
    running = undefined;
    if (!r) return;
    stopping = stopping.then(async () => {
      await Promise.all(r.controllers.map((c) => c.stop()));
      r.informers.stop();
    });
  };
  const elector = startLeaderElection({
    client: opts.client, ...CONTROLLER_MANAGER_LEASE, identity: opts.identity, clock, log, ...opts.leaderElection,
    onStartedLeading: start,
    onStoppedLeading: stopRunning,
  });
  return {
    isLeader: () => elector.isLeader(),
    async stop() {
      await elector.stop();
      stopRunning();
      await stopping;
    },
  };
}
