// Leader election through a coordination.k8s.io/v1 Lease, with client-go's semantics
// (k8s.io/client-go/tools/leaderelection/leaderelection.go):
// - a candidate tries to acquire every retryPeriod; a Lease held by someone else counts as held
//   until leaseDuration has passed since this candidate last saw the record change (the local
//   observation time, not the holder's renewTime, so clock skew between machines does not matter);
// - the leader renews every retryPeriod and steps down when it could not renew for renewDeadline;
// - taking over from another holder bumps leaseTransitions and resets acquireTime;
// - stop() releases the Lease (holderIdentity cleared, leaseDurationSeconds 1) as ReleaseOnCancel
//   does, so a restarted process takes over at once.
import type { Clock, TimerHandle } from '../common/clock.js';
import { RealClock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { isStatusCode, RESOURCES, type ApiObject, type Client } from '../client/index.js';

/** client-go's defaults for kube-controller-manager and kube-scheduler. */
export const LEASE_DURATION_MS = 15_000;
/** How long a leader keeps trying to renew before it steps down. */
export const RENEW_DEADLINE_MS = 10_000;
/** Pause between acquire and renew attempts. */
export const RETRY_PERIOD_MS = 2_000;

/** The three timings, each optional (tests shorten them). */
export interface LeaderElectionTimings {
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/** Options of startLeaderElection. */
export interface LeaderElectionOptions extends LeaderElectionTimings {
  client: Client;
  /** The Lease's namespace and name, e.g. kube-system/berth-controller-manager. */
  namespace: string;
  name: string;
  /** This candidate's holderIdentity (unique per process). */
  identity: string;
  clock?: Clock;
  log?: Logger;
  /** Called once this candidate holds the Lease. */
  onStartedLeading(): void;
  /** Called when a leader loses (or releases) the Lease. */
  onStoppedLeading(): void;
}

/** A running candidate. */
export interface LeaderElector {
  /** Whether this candidate currently leads. */
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the Lease and onStoppedLeading runs first. */
  stop(): Promise<void>;
}

/** metav1.MicroTime rendering: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Starts campaigning for the Lease. */
export function startLeaderElection(opts: LeaderElectionOptions): LeaderElector {
  const clock = opts.clock ?? new RealClock();
  const log = opts.log ?? silentLogger;
  const leaseMs = opts.leaseDurationMs ?? LEASE_DURATION_MS;
  const renewDeadline = opts.renewDeadlineMs ?? RENEW_DEADLINE_MS;
  const retry = opts.retryPeriodMs ?? RETRY_PERIOD_MS;
  let leader = false;
  let stopped = false;
  let observedRecord = '';
  let observedTime = 0;
  let lastRenew = 0;
  let timer: TimerHandle | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    wake = resolve;
    timer = clock.setTimer(resolve, ms);
  });

  const spec = (prev: ApiObject | undefined, now: number): Record<string, unknown> => {
    const ours = prev?.spec?.holderIdentity === opts.identity;
    return {
      holderIdentity: opts.identity,
      leaseDurationSeconds: Math.max(1, Math.round(leaseMs / 1000)),
      acquireTime: ours ? prev?.spec?.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: ours ? (prev?.spec?.leaseTransitions ?? 0) : (prev ? (prev.spec?.leaseTransitions ?? 0) + 1 : 0),
    };
  };

  /** leaderelection.go tryAcquireOrRenew. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const now = clock.now();
    let lease: ApiObject | undefined;
    try {
      lease = await opts.client.get(RESOURCES.leases, opts.namespace, opts.name);
    } catch (e) {
      if (!isStatusCode(e, 404)) throw e;
    }
    if (!lease) {
      await opts.client.create(RESOURCES.leases, opts.namespace, {
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name: opts.name, namespace: opts.namespace },
        spec: spec(undefined, now),
      });
      observedTime = now;
      return true;
    }
    const record = JSON.stringify(lease.spec ?? {});
    if (record !== observedRecord) {
      observedRecord = record;
      observedTime = now;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const heldFor = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (holder && holder !== opts.identity && observedTime + heldFor > now) return false;
    const updated = await opts.client.update(RESOURCES.leases, { ...lease, spec: spec(lease, now) });
    observedRecord = JSON.stringify(updated.spec ?? {});
    observedTime = now;
    return true;
  };

  const attempt = async (): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew();
    } catch (e) {
      log.debug({ lease: `${opts.namespace}/${opts.name}`, err: (e as Error).message }, 'lease attempt failed');
      return false;
    }
  };

  const run = async (): Promise<void> => {
    while (!stopped) {
      const ok = await attempt();
      if (stopped) break;
      if (ok) {
        lastRenew = clock.now();
        if (!leader) {
          leader = true;
          log.info({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity }, 'became leader');
          opts.onStartedLeading();
        }
      } else if (leader && clock.now() - lastRenew >= renewDeadline) {
        leader = false;
        log.warn({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity }, 'lost leadership');
        opts.onStoppedLeading();
      }
      await sleep(retry);
    }
  };
  const running = run();

  return {
    isLeader: () => leader,
    async stop() {
      stopped = true;
      timer?.cancel();
      wake?.();
      await running;
      if (!leader) return;
      leader = false;
      opts.onStoppedLeading();
      try {
        const lease = await opts.client.get(RESOURCES.leases, opts.namespace, opts.name);
        if (lease.spec?.holderIdentity === opts.identity) {
          await opts.client.update(RESOURCES.leases, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(clock.now()) } });
        }
      } catch (e) {
        log.debug({ err: (e as Error).message }, 'lease release failed');
      }
    },
  };
}
