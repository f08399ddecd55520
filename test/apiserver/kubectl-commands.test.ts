// Issue 2 acceptance: the real kubectl 1.32 drives `berth server --data-dir $(mktemp -d)` through
// the everyday commands, with validation on (no --validate=false), on both datastores. Every
// expectation is what upstream kubectl prints against a real 1.32 cluster; the reference section
// is named in each test (kubectl-wire.md = /work/shared/reference/kubectl-wire.md, printer-columns.md
// likewise). Without nodes, pods stay Pending and unscheduled, as on a real control plane with no
// nodes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DATASTORES, startBerthServer, type BerthServer, type DatastoreRun } from '../helpers/berth-server.js';
import {
  FRESH_AGE, describeEvents, describeValue, kubectl, kubectlMissing, kubectlStream, parseTable, writeManifest,
  type KubectlOptions, type KubectlResult,
} from '../helpers/kubectl.js';
import { VERSION } from '../../src/common/version.js';

function deployment(name: string, image: string, replicas = 2, ns?: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name }, ...(ns ? { namespace: ns } : {}) },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] } },
    },
  };
}

function service(name: string, ns?: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 80 }] },
  };
}

function namespace(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

function event(name: string, involved: Record<string, string>, type: string, reason: string, message: string, component: string): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: involved.namespace },
    involvedObject: involved,
    type,
    reason,
    message,
    source: { component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

/** Asserts a successful run and returns stdout; the failure message carries everything kubectl said. */
function ok(r: KubectlResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

for (const ds of DATASTORES) {
  const skip = kubectlMissing() ?? ds.missing();
  describe(`kubectl 1.32 against berth server on ${ds.name}`, { skip }, () => {
    let store: DatastoreRun | undefined;
    let srv: BerthServer;
    const k = (args: string[], opts?: KubectlOptions): Promise<KubectlResult> => kubectl(srv, args, opts);
    const jsonpath = async (args: string[], path: string): Promise<string> => ok(await k(['get', ...args, '-o', `jsonpath=${path}`]), `get ${args.join(' ')} -o jsonpath=${path}`);

    before(async () => {
      store = await ds.start();
      srv = await startBerthServer({ datastore: store.url });
    });
    after(async () => {
      await srv?.stop();
      await store?.stop();
    });

    it('apply creates, configures, then reports unchanged (kubectl-wire §4.2)', async () => {
      await writeManifest(srv.home, 'web.yaml', deployment('web', 'nginx:1.25'));
      let r = await k(['apply', '-f', 'web.yaml']);
      assert.equal(ok(r, 'first apply'), 'deployment.apps/web created\n');
      assert.equal(await jsonpath(['deployment', 'web'], '{.metadata.generation}'), '1');
      const lastApplied = JSON.parse(await jsonpath(['deployment', 'web'], '{.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}'));
      assert.equal(lastApplied.spec.template.spec.containers[0].image, 'nginx:1.25');

      await writeManifest(srv.home, 'web.yaml', deployment('web', 'nginx:1.26'));
      r = await k(['apply', '-f', 'web.yaml']);
      assert.equal(ok(r, 'second apply'), 'deployment.apps/web configured\n');
      assert.equal(await jsonpath(['deployment', 'web'], '{.spec.template.spec.containers[*].image}'), 'nginx:1.26');
      assert.equal(await jsonpath(['deployment', 'web'], '{.metadata.generation}'), '2', 'a spec change bumps metadata.generation');

      r = await k(['apply', '-f', 'web.yaml']);
      assert.equal(ok(r, 'third apply'), 'deployment.apps/web unchanged\n');
      assert.equal(await jsonpath(['deployment', 'web'], '{.metadata.generation}'), '2');
    });

    it('get deployment prints READY UP-TO-DATE AVAILABLE AGE, and -o wide CONTAINERS IMAGES SELECTOR (printer-columns.md Deployment)', async () => {
      await writeManifest(srv.home, 'gd.yaml', deployment('gd', 'nginx:1.25', 2));
      ok(await k(['apply', '-f', 'gd.yaml']), 'apply gd');
      const t = parseTable(ok(await k(['get', 'deployment', 'gd']), 'get deployment'));
      assert.deepEqual(t.headers, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      assert.equal(t.rows.length, 1);
      // No nodes: nothing becomes ready or available. UP-TO-DATE is 0 without a controller, 2 with one.
      assert.deepEqual(t.rows[0].slice(0, 2), ['gd', '0/2']);
      assert.match(t.rows[0][2], /^[02]$/);
      assert.equal(t.rows[0][3], '0');
      assert.match(t.rows[0][4], FRESH_AGE);
      const w = parseTable(ok(await k(['get', 'deployment', 'gd', '-o', 'wide']), 'get deployment -o wide'));
      assert.deepEqual(w.headers, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
      assert.deepEqual(w.rows[0].slice(5), ['nginx', 'nginx:1.25', 'app=gd']);
    });

    it('create -f creates a Service and get prints its ClusterIP row (kubectl-wire §4.1, printer-columns.md Service)', async () => {
      await writeManifest(srv.home, 'svc.yaml', service('websvc'));
      assert.equal(ok(await k(['create', '-f', 'svc.yaml']), 'create -f'), 'service/websvc created\n');
      const t = parseTable(ok(await k(['get', 'svc', 'websvc']), 'get svc'));
      assert.deepEqual(t.headers, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
      assert.equal(t.rows.length, 1);
      const [name, type, ip, ext, ports, age] = t.rows[0];
      assert.deepEqual([name, type, ext, ports], ['websvc', 'ClusterIP', '<none>', '80/TCP']);
      assert.match(ip, /^10\.43\.\d{1,3}\.\d{1,3}$/, 'ClusterIP from the service CIDR 10.43.0.0/16 (DESIGN.md defaults)');
      assert.match(age, FRESH_AGE);
      const w = parseTable(ok(await k(['get', 'svc', 'websvc', '-o', 'wide']), 'get svc -o wide'));
      assert.deepEqual(w.headers, ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
      assert.equal(w.rows[0][6], 'app=websvc');
    });

    it('create secret docker-registry stores a .dockerconfigjson with the right auth (kubectl-wire §4.3, protobuf body)', async () => {
      const r = await k(['create', 'secret', 'docker-registry', 'regcred', '--docker-server=registry.example.com',
        '--docker-username=alice', '--docker-password=s3cret', '--docker-email=alice@example.com']);
      assert.equal(ok(r, 'create secret docker-registry'), 'secret/regcred created\n');
      const b64 = await jsonpath(['secret', 'regcred'], '{.data.\\.dockerconfigjson}');
      assert.deepEqual(JSON.parse(Buffer.from(b64, 'base64').toString('utf8')), {
        auths: { 'registry.example.com': { username: 'alice', password: 's3cret', email: 'alice@example.com', auth: Buffer.from('alice:s3cret').toString('base64') } },
      });
      assert.equal(await jsonpath(['secret', 'regcred'], '{.type}'), 'kubernetes.io/dockerconfigjson');
      const t = parseTable(ok(await k(['get', 'secret', 'regcred']), 'get secret'));
      assert.deepEqual(t.headers, ['NAME', 'TYPE', 'DATA', 'AGE']);
      assert.deepEqual(t.rows[0].slice(0, 3), ['regcred', 'kubernetes.io/dockerconfigjson', '1']);
    });

    it('create secret generic --from-literal stores base64 data and prints type Opaque (printer-columns.md Secret)', async () => {
      const r = await k(['create', 'secret', 'generic', 'creds', '--from-literal=user=bob', '--from-literal=pass=hunter2']);
      assert.equal(ok(r, 'create secret generic'), 'secret/creds created\n');
      assert.equal(Buffer.from(await jsonpath(['secret', 'creds'], '{.data.user}'), 'base64').toString(), 'bob');
      assert.equal(Buffer.from(await jsonpath(['secret', 'creds'], '{.data.pass}'), 'base64').toString(), 'hunter2');
      const t = parseTable(ok(await k(['get', 'secret', 'creds']), 'get secret'));
      assert.deepEqual(t.rows[0].slice(0, 3), ['creds', 'Opaque', '2']);
      assert.match(t.rows[0][3], FRESH_AGE);
    });

    it('run creates a Pending pod that get prints plain and -o wide (kubectl-wire §4.4, printer-columns.md Pod)', async () => {
      ok(await k(['apply', '-f', await writeManifest(srv.home, 'ns-runs.yaml', namespace('runs'))]), 'apply namespace');
      assert.equal(ok(await k(['run', 'nginx', '--image=nginx:1.25', '-n', 'runs']), 'run'), 'pod/nginx created\n');
      const t = parseTable(ok(await k(['get', 'pods', '-n', 'runs']), 'get pods'));
      assert.deepEqual(t.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      assert.equal(t.rows.length, 1);
      assert.deepEqual(t.rows[0].slice(0, 4), ['nginx', '0/1', 'Pending', '0']);
      assert.match(t.rows[0][4], FRESH_AGE);
      const w = parseTable(ok(await k(['get', 'pod', 'nginx', '-n', 'runs', '-o', 'wide']), 'get pod -o wide'));
      assert.deepEqual(w.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
      assert.deepEqual(w.rows[0].slice(5), ['<none>', '<none>', '<none>', '<none>']);
    });

    it('get -o yaml / -o json / -o jsonpath return the stored pod with upstream defaults (kubectl-wire §3.1, §4.4)', async () => {
      ok(await k(['apply', '-f', await writeManifest(srv.home, 'ns-out.yaml', namespace('out'))]), 'apply namespace');
      ok(await k(['run', 'a', '--image=nginx:1.25', '-n', 'out']), 'run a');
      ok(await k(['run', 'b', '--image=busybox', '--labels=app=b,tier=x', '-n', 'out']), 'run b');

      const pod = parseYaml(ok(await k(['get', 'pod', 'a', '-n', 'out', '-o', 'yaml']), 'get -o yaml'));
      assert.equal(pod.apiVersion, 'v1');
      assert.equal(pod.kind, 'Pod');
      assert.equal(pod.metadata.name, 'a');
      assert.equal(pod.metadata.namespace, 'out');
      assert.deepEqual(pod.metadata.labels, { run: 'a' });
      assert.match(pod.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.match(pod.metadata.resourceVersion, /^\d+$/);
      assert.match(pod.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(pod.spec.restartPolicy, 'Always');
      assert.equal(pod.spec.dnsPolicy, 'ClusterFirst');
      assert.equal(pod.spec.schedulerName, 'default-scheduler', 'upstream pod default');
      assert.equal(pod.spec.terminationGracePeriodSeconds, 30, 'upstream pod default');
      assert.equal(pod.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'tag 1.25 (not latest) defaults to IfNotPresent');
      assert.equal(pod.spec.containers[0].terminationMessagePath, '/dev/termination-log');
      assert.equal(pod.status.phase, 'Pending');

      const list = JSON.parse(ok(await k(['get', 'pods', '-n', 'out', '-o', 'json']), 'get -o json'));
      assert.equal(list.kind, 'List');
      assert.equal(list.apiVersion, 'v1');
      assert.deepEqual(list.items.map((p: any) => [p.kind, p.metadata.name]), [['Pod', 'a'], ['Pod', 'b']]);
      assert.equal(list.items[1].spec.containers[0].imagePullPolicy, 'Always', 'an untagged image means :latest, which defaults to Always');

      assert.equal(await jsonpath(['pods', '-n', 'out'], '{.items[*].metadata.name}'), 'a b');
      assert.equal(await jsonpath(['pod', 'b', '-n', 'out'], '{.metadata.labels.tier}'), 'x');
    });

    it('get -A adds a NAMESPACE column and --show-labels a LABELS column (printer-columns.md §1)', async () => {
      for (const ns of ['ga1', 'ga2']) ok(await k(['apply', '-f', await writeManifest(srv.home, `ns-${ns}.yaml`, namespace(ns))]), 'apply namespace');
      ok(await k(['run', 'p1', '--image=nginx:1.25', '-n', 'ga1']), 'run p1');
      ok(await k(['run', 'p2', '--image=nginx:1.25', '--labels=app=two,tier=web', '-n', 'ga2']), 'run p2');

      const all = parseTable(ok(await k(['get', 'pods', '-A']), 'get pods -A'));
      assert.deepEqual(all.headers, ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      const ours = all.rows.filter((r) => r[0] === 'ga1' || r[0] === 'ga2').map((r) => r.slice(0, 5));
      assert.deepEqual(ours, [['ga1', 'p1', '0/1', 'Pending', '0'], ['ga2', 'p2', '0/1', 'Pending', '0']]);

      const labels = parseTable(ok(await k(['get', 'pods', '-n', 'ga2', '--show-labels']), 'get --show-labels'));
      assert.deepEqual(labels.headers, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'LABELS']);
      assert.deepEqual([labels.rows[0][0], labels.rows[0][5]], ['p2', 'app=two,tier=web']);
    });

    it('get -w prints a row for a pod created while watching (kubectl-wire §3.3)', async () => {
      ok(await k(['apply', '-f', await writeManifest(srv.home, 'ns-w.yaml', namespace('watching'))]), 'apply namespace');
      ok(await k(['run', 'first', '--image=nginx:1.25', '-n', 'watching']), 'run first');
      const w = kubectlStream(srv, ['get', 'pods', '-n', 'watching', '-w']);
      try {
        await w.waitForLine(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
        await w.waitForLine(/^first\s+0\/1\s+Pending\s+0\s+\S+$/);
        ok(await k(['run', 'second', '--image=nginx:1.25', '-n', 'watching']), 'run second');
        const line = await w.waitForLine(/^second\s/);
        assert.match(line, /^second\s+0\/1\s+Pending\s+0\s+\d+s$/);
        ok(await k(['label', 'pod', 'first', 'changed=yes', '-n', 'watching']), 'label first');
        await w.waitForLine(/^first\s/);
        assert.ok(w.lines().filter((l) => /^first\s/.test(l)).length >= 2, `a MODIFIED event prints the row again:\n${w.lines().join('\n')}`);
      } finally {
        const r = await w.stop();
        assert.equal(r.stderr, '', 'get -w printed nothing on stderr');
      }
    });

    it('describe pod, deployment and service show their fields and only their own Events (kubectl-wire §4.9)', async () => {
      ok(await k(['apply', '-f', await writeManifest(srv.home, 'ns-d.yaml', namespace('desc'))]), 'apply namespace');
      ok(await k(['run', 'nginx', '--image=nginx:1.25', '-n', 'desc']), 'run');
      await writeManifest(srv.home, 'desc-app.yaml', [deployment('web', 'nginx:1.25', 2, 'desc'), service('web', 'desc')]);
      ok(await k(['apply', '-f', 'desc-app.yaml']), 'apply deployment+service');
      const uid = async (kind: string, name: string): Promise<string> => jsonpath([kind, name, '-n', 'desc'], '{.metadata.uid}');
      const podUid = await uid('pod', 'nginx');
      const events = [
        event('nginx.1', { apiVersion: 'v1', kind: 'Pod', name: 'nginx', namespace: 'desc', uid: podUid }, 'Normal', 'Scheduled', 'Successfully assigned desc/nginx to node01', 'default-scheduler'),
        // Same name, another incarnation's uid: describe filters on involvedObject.uid, so this one must not show.
        event('nginx.2', { apiVersion: 'v1', kind: 'Pod', name: 'nginx', namespace: 'desc', uid: '00000000-0000-0000-0000-000000000000' }, 'Warning', 'Stale', 'from an earlier pod', 'kubelet'),
        event('web.1', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'desc', uid: await uid('deployment', 'web') }, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-5d8f7b9c4 to 2', 'deployment-controller'),
        event('websvc.1', { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'desc', uid: await uid('service', 'web') }, 'Warning', 'FailedToUpdateEndpoint', 'Failed to update endpoint desc/web', 'endpoint-controller'),
      ];
      assert.equal(ok(await k(['create', '-f', await writeManifest(srv.home, 'events.yaml', events)]), 'create events'),
        'event/nginx.1 created\nevent/nginx.2 created\nevent/web.1 created\nevent/websvc.1 created\n');

      const pod = ok(await k(['describe', 'pod', 'nginx', '-n', 'desc']), 'describe pod');
      assert.equal(describeValue(pod, 'Name'), 'nginx');
      assert.equal(describeValue(pod, 'Namespace'), 'desc');
      assert.equal(describeValue(pod, 'Labels'), 'run=nginx');
      assert.equal(describeValue(pod, 'Status'), 'Pending');
      assert.equal(describeValue(pod, 'Node'), '<none>');
      assert.match(pod, /^ {4}Image: +nginx:1\.25$/m);
      const pe = describeEvents(pod);
      assert.ok(pe && pe !== 'none', `pod Events section:\n${pod}`);
      assert.deepEqual(pe.headers, ['Type', 'Reason', 'Age', 'From', 'Message']);
      // berth server runs the scheduler, which finds no nodes here and says so, as upstream's does.
      const own = pe.rows.filter((r) => r[1] !== 'FailedScheduling');
      for (const r of pe.rows.filter((x) => x[1] === 'FailedScheduling')) assert.deepEqual([r[0], r[3], r[4]], ['Warning', 'default-scheduler', 'no nodes available to schedule pods']);
      assert.equal(own.length, 1, `only the event with the pod's uid:\n${pod}`);
      assert.deepEqual([own[0][0], own[0][1], own[0][3], own[0][4]], ['Normal', 'Scheduled', 'default-scheduler', 'Successfully assigned desc/nginx to node01']);
      assert.match(own[0][2], FRESH_AGE);

      const dep = ok(await k(['describe', 'deployment', 'web', '-n', 'desc']), 'describe deployment');
      assert.equal(describeValue(dep, 'Name'), 'web');
      assert.equal(describeValue(dep, 'Selector'), 'app=web');
      assert.equal(describeValue(dep, 'StrategyType'), 'RollingUpdate', 'strategy.type defaulted (kubectl-wire §4.4)');
      assert.equal(describeValue(dep, 'RollingUpdateStrategy'), '25% max unavailable, 25% max surge');
      assert.match(describeValue(dep, 'Replicas') ?? '', /^2 desired \| \d+ updated \| \d+ total \| 0 available \| \d+ unavailable$/);
      const de = describeEvents(dep);
      assert.ok(de && de !== 'none', `deployment Events section:\n${dep}`);
      // The running deployment controller records its own scale-up beside the hand-made event.
      const rows = de.rows.map((r) => [r[0], r[1], r[3], r[4]]);
      assert.ok(rows.some((r) => r[3] === 'Scaled up replica set web-5d8f7b9c4 to 2'), dep);
      for (const r of rows) assert.deepEqual(r.slice(0, 3), ['Normal', 'ScalingReplicaSet', 'deployment-controller']);
      assert.ok(rows.every((r) => /^Scaled up replica set web-[0-9a-z]+ (from 0 )?to 2$/.test(r[3])), dep);

      const svc = ok(await k(['describe', 'service', 'web', '-n', 'desc']), 'describe service');
      assert.equal(describeValue(svc, 'Name'), 'web');
      assert.equal(describeValue(svc, 'Type'), 'ClusterIP');
      assert.equal(describeValue(svc, 'Selector'), 'app=web');
      assert.match(describeValue(svc, 'IP') ?? '', /^10\.43\.\d{1,3}\.\d{1,3}$/);
      assert.match(describeValue(svc, 'Port') ?? '', /^<unset>\s+80\/TCP$/, 'protocol defaulted to TCP (kubectl-wire §4.4)');
      assert.equal(describeValue(svc, 'TargetPort'), '80/TCP');
      const se = describeEvents(svc);
      assert.ok(se && se !== 'none', `service Events section:\n${svc}`);
      assert.deepEqual(se.rows.map((r) => [r[0], r[1], r[3], r[4]]), [['Warning', 'FailedToUpdateEndpoint', 'endpoint-controller', 'Failed to update endpoint desc/web']]);
    });

    it('edit with a non-interactive EDITOR patches the label; no change cancels (kubectl-wire §4.8)', async () => {
      ok(await k(['run', 'editme', '--image=nginx:1.25']), 'run');
      const script = join(srv.home, 'relabel.sh');
      await writeFile(script, '#!/bin/sh\nexec sed -i -e \'s/^\\( *\\)run: editme$/\\1run: edited/\' "$1"\n');
      await chmod(script, 0o755);
      const r = await k(['edit', 'pod', 'editme'], { env: { EDITOR: script } });
      assert.equal(ok(r, 'edit'), 'pod/editme edited\n');
      assert.equal(await jsonpath(['pod', 'editme'], '{.metadata.labels.run}'), 'edited');
      const unchanged = await k(['edit', 'pod', 'editme'], { env: { EDITOR: 'true' } });
      assert.equal(unchanged.code, 0, unchanged.stderr);
      assert.equal(unchanged.stdout + unchanged.stderr, 'Edit cancelled, no changes made.\n');
    });

    it('scale sets spec.replicas through the scale subresource (kubectl-wire §4.6)', async () => {
      ok(await k(['apply', '-f', await writeManifest(srv.home, 'scaled.yaml', deployment('scaled', 'nginx:1.25', 2))]), 'apply');
      assert.equal(ok(await k(['scale', 'deployment', 'scaled', '--replicas=3']), 'scale'), 'deployment.apps/scaled scaled\n');
      assert.equal(await jsonpath(['deployment', 'scaled'], '{.spec.replicas}'), '3');
      const scale = JSON.parse(ok(await k(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/scaled/scale']), 'get scale'));
      assert.equal(scale.kind, 'Scale');
      assert.equal(scale.apiVersion, 'autoscaling/v1');
      assert.equal(scale.spec.replicas, 3);
      assert.equal(scale.status.selector, 'app=scaled');
      const t = parseTable(ok(await k(['get', 'deployment', 'scaled']), 'get'));
      assert.equal(t.rows[0][1], '0/3');
    });

    it('delete -f, delete by name, and every --cascade option remove the objects (kubectl-wire §4.5)', async () => {
      ok(await k(['apply', '-f', await writeManifest(srv.home, 'ns-del.yaml', namespace('del'))]), 'apply namespace');
      await writeManifest(srv.home, 'del-svc.yaml', service('gone', 'del'));
      ok(await k(['create', '-f', 'del-svc.yaml']), 'create svc');
      assert.equal(ok(await k(['delete', '-f', 'del-svc.yaml']), 'delete -f'), 'service "gone" deleted\n');
      const after = await k(['get', 'svc', 'gone', '-n', 'del']);
      assert.deepEqual([after.code, after.stderr], [1, 'Error from server (NotFound): services "gone" not found\n']);

      ok(await k(['run', 'victim', '--image=nginx:1.25', '-n', 'del']), 'run');
      assert.equal(ok(await k(['delete', 'pod', 'victim', '-n', 'del'], { timeoutMs: 45_000 }), 'delete pod'), 'pod "victim" deleted\n',
        'an unscheduled pod is deleted at once (no node to wait for)');

      for (const cascade of ['orphan', 'background', 'foreground']) {
        const name = `cas-${cascade}`;
        ok(await k(['apply', '-f', await writeManifest(srv.home, `${name}.yaml`, deployment(name, 'nginx:1.25', 1, 'del'))]), `apply ${name}`);
        const r = await k(['delete', 'deployment', name, '-n', 'del', `--cascade=${cascade}`, '--timeout=30s'], { timeoutMs: 45_000 });
        assert.equal(ok(r, `delete --cascade=${cascade}`), `deployment.apps "${name}" deleted\n`);
        const gone = await k(['get', 'deployment', name, '-n', 'del']);
        assert.equal(gone.stderr, `Error from server (NotFound): deployments.apps "${name}" not found\n`);
      }
    });

    it('explain pod.spec.containers prints the field from OpenAPI v3 (kubectl-wire §2.2)', async () => {
      const out = ok(await k(['explain', 'pod.spec.containers']), 'explain');
      assert.match(out, /^KIND:\s+Pod$/m);
      assert.match(out, /^VERSION:\s+v1$/m);
      assert.match(out, /^FIELD:\s+containers <\[\]Container>$/m);
      assert.match(out, /^DESCRIPTION:$/m);
      assert.match(out, /^FIELDS:$/m);
      assert.match(out, /^ {2}image\t<string>$/m);
      assert.match(out, /^ {2}name\t<string> -required-$/m);
      assert.match(out, /^ {2}ports\t<\[\]ContainerPort>$/m);
    });

    it('api-resources lists the served kinds with their short names (kubectl-wire §7)', async () => {
      const t = parseTable(ok(await k(['api-resources']), 'api-resources'));
      assert.deepEqual(t.headers, ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      const expected = [
        ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
        ['endpoints', 'ep', 'v1', 'true', 'Endpoints'],
        ['events', 'ev', 'v1', 'true', 'Event'],
        ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
        ['nodes', 'no', 'v1', 'false', 'Node'],
        ['pods', 'po', 'v1', 'true', 'Pod'],
        ['secrets', '', 'v1', 'true', 'Secret'],
        ['serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount'],
        ['services', 'svc', 'v1', 'true', 'Service'],
        ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
        ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
      ];
      for (const row of expected) assert.ok(t.rows.some((r) => r.join('|') === row.join('|')), `api-resources row ${row.join(' ')} missing:\n${t.rows.map((r) => r.join(' ')).join('\n')}`);
      // Every short name resolves through discovery (an unknown one fails with "doesn't have a resource type").
      // `ev` is also the short name of events.events.k8s.io: kubectl picks core/v1 (listed first) and
      // warns, exactly as against a real 1.32 cluster.
      const short = await k(['get', 'cm,ep,ev,ns,no,po,sa,svc,deploy,rs', '-A', '-o', 'name']);
      assert.deepEqual([short.code, short.stderr], [0, 'Warning: short name "ev" could also match lower priority resource events.events.k8s.io\n']);
      assert.match(short.stdout, /^namespace\/default$/m);
    });

    it('version prints the client and the server version from /version (kubectl-wire §0)', async () => {
      const out = ok(await k(['version']), 'version');
      assert.match(out, /^Client Version: v1\.32\.\d+/m);
      assert.match(out, /^Server Version: (.+)$/m);
      assert.equal(/^Server Version: (.+)$/m.exec(out)?.[1], VERSION.gitVersion);
      const json = JSON.parse(ok(await k(['version', '-o', 'json']), 'version -o json'));
      assert.equal(json.serverVersion.major, '1');
      assert.equal(json.serverVersion.minor, '32');
    });
  });
}
