// The event recorder every component uses (client-go's tools/record, in small): core/v1 Events
// named `<object>.<unix nanos in hex>`, with repeats folded into one Event whose `count` and
// `lastTimestamp` grow, which is what makes `kubectl describe` print `(x4 over 3m38s)`.
//
// Correlation follows client-go's EventCorrelator's dedup step: two events are the same when
// source, involved object (kind, namespace, name, uid, apiVersion, fieldPath), type, reason and
// message are equal. The cache is bounded (LRU, 4096 keys, as client-go's maxLruCacheEntries);
// client-go's aggregation of >10 similar messages into "(combined from similar events)" and its
// spam filter are not implemented: berth's components do not emit such floods.
import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { isStatusCode, RESOURCES, type ApiObject, type Client } from './client.js';

/** Who reports the events (Event.source). */
export interface EventSource {
  component: string;
  host?: string;
}

/** The object an event is about (Event.involvedObject). */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  /** e.g. `spec.containers{nginx}` for container events. */
  fieldPath?: string;
}

/** Records Events; see the module comment for how repeats are folded. */
export interface EventRecorder {
  /**
   * Records a core/v1 Event. A repeat of (source, involvedObject incl. fieldPath, type, reason,
   * message) updates the existing Event's count and lastTimestamp. Never throws; writes are
   * asynchronous and happen in call order.
   */
  event(obj: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Resolves when every event recorded so far has been written (tests, shutdown). */
  flush(): Promise<void>;
}

/** The involvedObject of a pod. */
export function involvedPod(pod: ApiObject): InvolvedObject {
  return {
    apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: String(pod.metadata.name),
    uid: pod.metadata.uid, resourceVersion: pod.metadata.resourceVersion,
  };
}

/** The involvedObject of one container of a pod (fieldPath as the kubelet writes it). */
export function involvedContainer(pod: ApiObject, containerName: string, isInit = false): InvolvedObject {
  return { ...involvedPod(pod), fieldPath: `${isInit ? 'spec.initContainers' : 'spec.containers'}{${containerName}}` };
}

/** The involvedObject of any object. */
export function involvedObject(obj: ApiObject): InvolvedObject {
  return {
    apiVersion: String(obj.apiVersion ?? ''), kind: String(obj.kind ?? ''), namespace: obj.metadata.namespace,
    name: String(obj.metadata.name), uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion,
  };
}

const MAX_CACHE = 4096;

interface Seen {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
}

/** RFC 3339 with second precision, as Event timestamps are serialized. */
function seconds(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Creates a recorder writing through `client`. */
export function createEventRecorder(client: Client, source: EventSource, opts: { now?: () => Date; log?: Logger } = {}): EventRecorder {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? silentLogger;
  const seen = new Map<string, Seen>();
  let chain: Promise<void> = Promise.resolve();
  let lastNanos = 0n;

  const uniqueNanos = (t: Date): bigint => {
    // Two events of one object in the same millisecond still get distinct names.
    let n = BigInt(t.getTime()) * 1_000_000n;
    if (n <= lastNanos) n = lastNanos + 1n;
    lastNanos = n;
    return n;
  };

  const create = async (key: string, obj: InvolvedObject, type: string, reason: string, message: string, t: Date): Promise<void> => {
    const namespace = obj.namespace || 'default';
    const name = `${obj.name}.${uniqueNanos(t).toString(16)}`;
    const ts = seconds(t);
    const ev: ApiObject = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { ...obj },
      reason, message, type,
      source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
      firstTimestamp: ts, lastTimestamp: ts, count: 1,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    };
    await client.create(RESOURCES.events, namespace, ev);
    seen.set(key, { namespace, name, count: 1, firstTimestamp: ts });
    if (seen.size > MAX_CACHE) seen.delete(seen.keys().next().value as string);
  };

  const write = async (obj: InvolvedObject, type: string, reason: string, message: string, t: Date): Promise<void> => {
    const key = JSON.stringify([source.component, source.host ?? '', obj.kind, obj.namespace ?? '', obj.name, obj.uid ?? '', obj.apiVersion, obj.fieldPath ?? '', type, reason, message]);
    const prev = seen.get(key);
    if (!prev) {
      await create(key, obj, type, reason, message, t);
      return;
    }
    seen.delete(key);
    seen.set(key, prev); // most recently used
    const count = prev.count + 1;
    try {
      await client.patch(RESOURCES.events, prev.namespace, prev.name, { count, lastTimestamp: seconds(t) }, 'merge');
      prev.count = count;
    } catch (e) {
      // The Event was deleted (TTL, namespace cleanup): start a new one, as client-go does.
      if (!isStatusCode(e, 404)) throw e;
      seen.delete(key);
      await create(key, obj, type, reason, message, t);
    }
  };

  return {
    event(obj, type, reason, message) {
      const t = now();
      chain = chain.then(() => write(obj, type, reason, message, t)).catch((e: unknown) => {
        log.warn({ reason, object: `${obj.kind}/${obj.namespace ?? ''}/${obj.name}`, err: (e as Error).message }, 'event not recorded');
      });
    },
    flush() {
      return chain;
    },
  };
}
