import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startInformer } from './informer.js';
import { resourcePath, RESOURCES, type ApiObject, type Client, type ClientWatchEvent } from './client.js';

const cm = (name: string, rv: string): ApiObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: rv } });

/** A client whose lists and watches replay scripted answers. */
function scripted(lists: ApiObject[][], watches: ClientWatchEvent[][]): Client & { listCalls: number; watchFrom: string[] } {
  let l = 0;
  let w = 0;
  const c = {
    listCalls: 0,
    watchFrom: [] as string[],
    async list() {
      c.listCalls++;
      const items = lists[Math.min(l++, lists.length - 1)];
      return { items, metadata: { resourceVersion: String(10 * c.listCalls) } };
    },
    watch(_ref: unknown, _ns: string, opts: { resourceVersion?: string; signal?: AbortSignal }) {
      c.watchFrom.push(opts.resourceVersion ?? '');
      const evs = watches[w++] ?? [];
      return {
        async *[Symbol.asyncIterator]() {
          for (const e of evs) yield e;
          if (!evs.length) await new Promise<void>((r) => opts.signal?.addEventListener('abort', () => r()));
        },
      };
    },
  };
  return c as unknown as Client & { listCalls: number; watchFrom: string[] };
}

async function until(f: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!f()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('informer', () => {
  it('lists, applies watch events, resumes from the last resourceVersion, and relists after a 410', async () => {
    const client = scripted(
      [[cm('a', '5')], [cm('b', '30')]],
      [
        [{ type: 'ADDED', object: cm('c', '11') }, { type: 'MODIFIED', object: cm('a', '12') }],
        [{ type: 'DELETED', object: cm('c', '13') }, { type: 'ERROR', object: { metadata: {}, code: 410 } as unknown as ApiObject }],
        [],
      ],
    );
    const events: string[] = [];
    const inf = startInformer(client, RESOURCES.configmaps, {
      namespace: 'default', retryMs: 1,
      handlers: { onAdd: (o) => events.push(`add ${o.metadata.name}`), onUpdate: (_o, n) => events.push(`update ${n.metadata.name}`), onDelete: (o) => events.push(`delete ${o.metadata.name}`) },
    });
    await inf.synced();
    await until(() => client.watchFrom.length >= 3);
    assert.deepEqual(client.watchFrom, ['10', '12', '20'], 'resume from the last event, then from the relist');
    assert.deepEqual(events, ['add a', 'add c', 'update a', 'delete c', 'delete a', 'add b']);
    assert.deepEqual(inf.list().map((o) => o.metadata.name), ['b']);
    assert.equal(inf.get('default', 'b')?.metadata.resourceVersion, '30');
    inf.stop();
  });
});

describe('resourcePath', () => {
  const cases = [
    { name: 'core namespaced object', got: resourcePath(RESOURCES.pods, 'default', 'web'), want: '/api/v1/namespaces/default/pods/web' },
    { name: 'core collection across namespaces', got: resourcePath(RESOURCES.pods, ''), want: '/api/v1/pods' },
    { name: 'cluster-scoped ignores the namespace', got: resourcePath(RESOURCES.nodes, 'default', 'n1'), want: '/api/v1/nodes/n1' },
    { name: 'group subresource', got: resourcePath(RESOURCES.deployments, 'ns', 'web', 'scale'), want: '/apis/apps/v1/namespaces/ns/deployments/web/scale' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(c.got, c.want));
});
