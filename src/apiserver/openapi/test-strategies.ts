// Strategy lists for the OpenAPI and protobuf tests: only what the OpenAPI module reads (group,
// version, kind, resource, scope, verbs, subresources), shaped like the real strategies.
import type { ResourceStrategy } from '../resources/types.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A strategy with no behaviour, for tests of the OpenAPI documents. */
export function testStrategy(
  group: string, version: string, kind: string, resource: string, namespaced: boolean,
  extra: Partial<ResourceStrategy> = {},
): ResourceStrategy {
  return {
    group, version, kind, resource, namespaced,
    singular: kind.toLowerCase(),
    verbs: ALL_VERBS,
    table: { columns: [], cells: () => [] },
    ...extra,
  };
}

/** The kinds berth serves (task list), with upstream's subresources. */
export function servedStrategies(): ResourceStrategy[] {
  return [
    testStrategy('', 'v1', 'Namespace', 'namespaces', false, { subresources: { status: true } }),
    testStrategy('', 'v1', 'Pod', 'pods', true, { subresources: { status: true, extra: ['binding', 'eviction', 'log', 'exec'] } }),
    testStrategy('', 'v1', 'Secret', 'secrets', true),
    testStrategy('', 'v1', 'ConfigMap', 'configmaps', true),
    testStrategy('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { subresources: { extra: ['token'] } }),
    testStrategy('', 'v1', 'Service', 'services', true, { subresources: { status: true } }),
    testStrategy('', 'v1', 'Endpoints', 'endpoints', true),
    testStrategy('', 'v1', 'Event', 'events', true),
    testStrategy('', 'v1', 'Node', 'nodes', false, { subresources: { status: true } }),
    testStrategy('', 'v1', 'Binding', 'bindings', true, { verbs: ['create'] }),
    testStrategy('apps', 'v1', 'Deployment', 'deployments', true, {
      subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    }),
    testStrategy('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
      subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    }),
    testStrategy('events.k8s.io', 'v1', 'Event', 'events', true),
    testStrategy('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
    testStrategy('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  ];
}
