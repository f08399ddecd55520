// The built-in kinds the API server serves, one strategy per group/version/kind (what upstream
// 1.32 serves for these kinds; no extensions/v1beta1). The apiserver core reads this list.
import type { ResourceStrategy } from './types.js';
import { podStrategy } from './core/pod.js';
import { namespaceStrategy } from './core/namespace.js';
import { secretStrategy } from './core/secret.js';
import { configMapStrategy } from './core/config-map.js';
import { serviceAccountStrategy } from './core/service-account.js';
import { serviceStrategy, DEFAULT_SERVICE_NETWORK, type ServiceNetwork } from './core/service.js';
import { endpointsStrategy } from './core/endpoints.js';
import { eventStrategy } from './core/event.js';
import { nodeStrategy } from './core/node.js';
import { leaseStrategy } from './coordination/lease.js';
import { endpointSliceStrategy } from './discovery/endpoint-slice.js';
import { eventsV1Strategy } from './events/event.js';
import { deploymentStrategy } from './apps/deployment.js';
import { replicaSetStrategy } from './apps/replica-set.js';

export type { ResourceStrategy, KubeObject, StrategyContext, TableColumn, ScaleSpec } from './types.js';
export { AdmissionForbiddenError } from './types.js';
export { DEFAULT_SERVICE_NETWORK, type ServiceNetwork } from './core/service.js';
export { podRowConditions } from './core/pod.js';
export { generateName } from './common/util.js';

/** Options of builtinStrategies. */
export interface BuiltinOptions {
  /** Service CIDR, DNS address and node-port range (defaults from DESIGN.md). */
  serviceNetwork?: ServiceNetwork;
  /** Randomness for generated names and allocations; tests pass a fixed source. */
  random?: () => number;
}

/** Every built-in kind's strategy, one per served group/version/kind. */
export function builtinStrategies(opts: BuiltinOptions = {}): ResourceStrategy[] {
  const random = opts.random ?? Math.random;
  return [
    namespaceStrategy(),
    podStrategy(random),
    secretStrategy(),
    configMapStrategy(),
    serviceAccountStrategy(),
    serviceStrategy(opts.serviceNetwork ?? DEFAULT_SERVICE_NETWORK, random),
    endpointsStrategy(),
    eventStrategy(),
    nodeStrategy(),
    leaseStrategy(),
    endpointSliceStrategy(),
    eventsV1Strategy(),
    deploymentStrategy(),
    replicaSetStrategy(),
  ];
}
