// A StrategyContext over an in-memory map, for the strategies' unit tests.
import type { KubeObject, StrategyContext } from '../types.js';

/** Builds a context whose get/list read `objects` keyed `resource/namespace/name`. */
export function fakeContext(objects: Array<{ resource: string; obj: KubeObject }> = [], now = new Date('2025-01-01T00:00:00Z')): StrategyContext & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    now: () => now,
    user: { name: 'admin', groups: ['system:masters'] },
    async get(resource, _group, namespace, name) {
      return objects.find((o) => o.resource === resource && (o.obj.metadata.namespace ?? undefined) === namespace && o.obj.metadata.name === name)?.obj;
    },
    async list(resource, _group, namespace) {
      return objects.filter((o) => o.resource === resource && (namespace === undefined || o.obj.metadata.namespace === namespace)).map((o) => o.obj);
    },
    warn(text) {
      warnings.push(text);
    },
    warnings,
  };
}
