// Issue 2 acceptance, bad input: the real kubectl 1.32 against `berth server`, on both datastores,
// gets upstream's exact error text and exit code, and nothing is stored by a rejected request.
// Sources: kubectl-wire.md §5 (error display), reliability.md §2.1 and case A.6 (size limits,
// CVE-2019-11253), apimachinery's validation messages (pkg/util/validation/validation.go:
// dns1123SubdomainErrorMsg, dns1035LabelErrMsg, RegexError) and the strict decoder
// (k8s.io/apimachinery/pkg/runtime/serializer: `strict decoding error: unknown field "…"`, which
// the apiserver wraps as `<Kind> in version "<v>" cannot be handled as a <Kind>: …`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASTORES, startBerthServer, type BerthServer, type DatastoreRun } from '../helpers/berth-server.js';
import { kubectl, kubectlMissing, writeManifest, type KubectlOptions, type KubectlResult } from '../helpers/kubectl.js';

const DNS1123_SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

function configMap(name: string, data: Record<string, string> = { a: '1' }, annotations?: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(annotations ? { annotations } : {}) }, data };
}

interface ErrorCase {
  name: string;
  /** Files to write into the client dir before running. */
  files?: Record<string, unknown>;
  /** Raw file contents (not YAML-serialized). */
  raw?: Record<string, string>;
  /** Commands run first, each must succeed. */
  setup?: string[][];
  args: string[];
  stderr: string | RegExp;
  /** A `kubectl get` that must fail with NotFound afterwards: nothing was stored. */
  absent?: [string, string];
}

const MiB = 1024 * 1024;
const BAD_JSON = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"rawbad"},"data":{"a":';

const CASES: ErrorCase[] = [
  {
    name: 'get of a missing pod: NotFound (kubectl-wire §5)',
    args: ['get', 'pod', 'nope'],
    stderr: 'Error from server (NotFound): pods "nope" not found\n',
  },
  {
    name: 'describe of a missing deployment: NotFound with the group (kubectl-wire §4.9)',
    args: ['describe', 'deployment', 'nope'],
    stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n',
  },
  {
    name: 'create -f of an existing service: AlreadyExists (kubectl-wire §5)',
    files: { 'dup-svc.yaml': { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dup' }, spec: { selector: { app: 'dup' }, ports: [{ port: 80 }] } } },
    setup: [['create', '-f', 'dup-svc.yaml']],
    args: ['create', '-f', 'dup-svc.yaml'],
    stderr: 'Error from server (AlreadyExists): error when creating "dup-svc.yaml": services "dup" already exists\n',
  },
  {
    name: 'create -f of an existing deployment: AlreadyExists names deployments.apps (kubectl-wire §5)',
    files: {
      'dup-deploy.yaml': {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dupd' },
        spec: { selector: { matchLabels: { app: 'dupd' } }, template: { metadata: { labels: { app: 'dupd' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
      },
    },
    setup: [['create', '-f', 'dup-deploy.yaml']],
    args: ['create', '-f', 'dup-deploy.yaml'],
    stderr: 'Error from server (AlreadyExists): error when creating "dup-deploy.yaml": deployments.apps "dupd" already exists\n',
  },
  {
    name: 'run of an existing pod: AlreadyExists (kubectl-wire §5)',
    setup: [['run', 'duppod', '--image=nginx:1.25']],
    args: ['run', 'duppod', '--image=nginx:1.25'],
    stderr: 'Error from server (AlreadyExists): pods "duppod" already exists\n',
  },
  {
    name: 'invalid ConfigMap name: 422 with the RFC 1123 subdomain message (apimachinery IsDNS1123Subdomain)',
    files: { 'bad-name.yaml': configMap('Bad_Name') },
    args: ['create', '-f', 'bad-name.yaml'],
    stderr: `The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${DNS1123_SUBDOMAIN}\n`,
  },
  {
    name: 'invalid Service name: 422 with the DNS-1035 label message (apimachinery IsDNS1035Label)',
    files: { 'bad-svc-name.yaml': { apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } } },
    args: ['create', '-f', 'bad-svc-name.yaml'],
    stderr: `The Service "1web" is invalid: metadata.name: Invalid value: "1web": ${DNS1035_LABEL}\n`,
    absent: ['svc', '1web'],
  },
  {
    name: 'NodePort out of range: 422 with upstream message (kubectl-wire §5, one cause)',
    files: { 'np.yaml': { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np' }, spec: { type: 'NodePort', selector: { app: 'np' }, ports: [{ port: 80, nodePort: 99999 }] } } },
    args: ['create', '-f', 'np.yaml'],
    stderr: 'The Service "np" is invalid: spec.ports[0].nodePort: Invalid value: 99999: provided port is not in the valid range. The range of valid ports is 30000-32767\n',
    absent: ['svc', 'np'],
  },
  {
    name: 'unknown field with fieldValidation=Strict: 400 strict decoding error (kubectl-wire §2.1: kubectl sends Strict)',
    files: { 'unknown-field.yaml': { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'strict' }, spec: { foo: 'bar', containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
    args: ['create', '-f', 'unknown-field.yaml'],
    stderr: 'Error from server (BadRequest): error when creating "unknown-field.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"\n',
    absent: ['pod', 'strict'],
  },
  {
    name: 'malformed YAML: kubectl\'s own parse error, nothing sent',
    raw: { 'bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n' },
    args: ['create', '-f', 'bad.yaml'],
    stderr: 'error: error parsing bad.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key\n',
    absent: ['configmap', 'x'],
  },
  {
    // apiserver v0.32.4 handlers/rest.go transformDecodeError: no kind could be read, so "the object
    // provided is unrecognized (must be of type <Kind>): <decoder error> (<summary>)", where the
    // decoder error is apimachinery's SimpleMetaFactory "couldn't get version/kind; json parse
    // error: " + Go's "unexpected end of JSON input", and the summary the first 30 bytes + " ...".
    name: 'malformed JSON body sent raw to the API: 400 BadRequest Status (reliability.md A.6)',
    raw: { 'bad.json': BAD_JSON },
    args: ['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', 'bad.json'],
    stderr: `Error from server (BadRequest): the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input (${BAD_JSON.slice(0, 30)} ...)\n`,
    absent: ['configmap', 'rawbad'],
  },
  {
    name: 'extensions/v1beta1 Deployment: no matches for kind (kubectl-wire §5, with the protobuf /openapi/v2 of §2.3)',
    files: {
      'deploy-ext.yaml': {
        apiVersion: 'extensions/v1beta1', kind: 'Deployment', metadata: { name: 'web' },
        spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
      },
    },
    args: ['create', '-f', 'deploy-ext.yaml'],
    stderr: 'error: resource mapping not found for name: "web" namespace: "" from "deploy-ext.yaml": no matches for kind "Deployment" in version "extensions/v1beta1"\nensure CRDs are installed first\n',
  },
  {
    name: 'body over 3 MiB: 413 Request entity too large: limit is 3145728 (reliability.md §2.1 TestObjectSizeResponses)',
    files: { 'huge.yaml': configMap('huge', { big: 'x'.repeat(3.5 * MiB) }) },
    args: ['create', '-f', 'huge.yaml'],
    stderr: 'Error from server (RequestEntityTooLarge): error when creating "huge.yaml": Request entity too large: limit is 3145728\n',
    absent: ['configmap', 'huge'],
  },
  {
    // Upstream's ConfigMap validation stops a ConfigMap over 1 MiB before storage (k/k
    // pkg/apis/core/validation ValidateConfigMap: field.TooLong(field.NewPath(""), …, MaxSecretSize),
    // and a Path named "" prints as "[]").
    name: 'ConfigMap data over 1 MiB: 422 Too long on the whole object (k/k ValidateConfigMap, MaxSecretSize)',
    files: { 'mid.yaml': configMap('mid', { big: 'x'.repeat(2 * MiB) }) },
    args: ['create', '-f', 'mid.yaml'],
    stderr: 'The ConfigMap "mid" is invalid: []: Too long: may not be more than 1048576 bytes\n',
    absent: ['configmap', 'mid'],
  },
  {
    // A Deployment has no such validation, so a 1.75 MiB one reaches storage and fails on etcd's
    // 1.5 MiB --max-request-bytes (below the 2 MiB gRPC send limit, which has its own message).
    // The apiserver passes the raw storage error through ErrorToAPIStatus: 500 with no reason,
    // which kubectl prints as "Error from server: …" (kubectl pkg/cmd/util/helpers.go).
    name: 'object between 1.5 and 2 MiB: etcd\'s "request is too large", a 500 without reason (reliability.md §2.1 TestObjectSizeResponses, src/storage/limits.ts)',
    files: {
      'mid-deploy.yaml': {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'middeploy' },
        spec: {
          selector: { matchLabels: { app: 'mid' } },
          template: { metadata: { labels: { app: 'mid' } }, spec: { containers: [{ name: 'c', image: 'busybox', args: ['y'.repeat(1.75 * MiB)] }] } },
        },
      },
    },
    args: ['create', '-f', 'mid-deploy.yaml'],
    stderr: 'Error from server: error when creating "mid-deploy.yaml": etcdserver: request is too large\n',
    absent: ['deployment', 'middeploy'],
  },
  {
    // reliability.md quotes an older "must have at most 262144 bytes"; apimachinery v0.32.4
    // pkg/util/validation/field/errors.go TooLong prints "may not be more than %d bytes".
    name: 'annotations over 256 KiB: 422 Too long (reliability.md §2.1, apimachinery v0.32.4 field.TooLong)',
    files: { 'big-ann.yaml': configMap('bigann', { a: '1' }, { 'example.com/blob': 'y'.repeat(256 * 1024 + 1) }) },
    args: ['create', '-f', 'big-ann.yaml'],
    stderr: 'The ConfigMap "bigann" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes\n',
    absent: ['configmap', 'bigann'],
  },
];

function ok(r: KubectlResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

for (const ds of DATASTORES) {
  const skip = kubectlMissing() ?? ds.missing();
  describe(`kubectl 1.32 error cases against berth server on ${ds.name}`, { skip }, () => {
    let store: DatastoreRun | undefined;
    let srv: BerthServer;
    const k = (args: string[], opts?: KubectlOptions): Promise<KubectlResult> => kubectl(srv, args, opts);

    before(async () => {
      store = await ds.start();
      srv = await startBerthServer({ datastore: store.url });
    });
    after(async () => {
      await srv?.stop();
      await store?.stop();
    });

    for (const c of CASES) {
      it(c.name, async () => {
        for (const [file, doc] of Object.entries(c.files ?? {})) await writeManifest(srv.home, file, doc);
        for (const [file, text] of Object.entries(c.raw ?? {})) await writeFile(join(srv.home, file), text);
        for (const s of c.setup ?? []) ok(await k(s), `setup ${s.join(' ')}`);
        const r = await k(c.args);
        assert.equal(r.code, 1, `exit code; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
        assert.equal(r.stdout, '');
        if (typeof c.stderr === 'string') assert.equal(r.stderr, c.stderr);
        else assert.match(r.stderr, c.stderr);
        if (c.absent) {
          const [kind, name] = c.absent;
          const g = await k(['get', kind, name, '-o', 'name']);
          assert.equal(g.code, 1, `nothing stored: ${kind}/${name} exists after the failed request:\n${g.stdout}`);
          assert.match(g.stderr, /^Error from server \(NotFound\): /);
        }
      });
    }

    it('replace with a stale resourceVersion: 409 Conflict and the newer data kept (reliability.md A.1)', async () => {
      await writeManifest(srv.home, 'cm.yaml', configMap('cm', { a: '0' }));
      ok(await k(['create', '-f', 'cm.yaml']), 'create');
      const stale = JSON.parse(ok(await k(['get', 'configmap', 'cm', '-o', 'json']), 'get'));
      const fresh = structuredClone(stale);
      fresh.data = { a: '1' };
      await writeFile(join(srv.home, 'fresh.json'), JSON.stringify(fresh));
      assert.equal(ok(await k(['replace', '-f', 'fresh.json']), 'replace with the current RV'), 'configmap/cm replaced\n');
      stale.data = { a: '2' };
      await writeFile(join(srv.home, 'stale.json'), JSON.stringify(stale));
      const r = await k(['replace', '-f', 'stale.json']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'Error from server (Conflict): error when replacing "stale.json": Operation cannot be fulfilled on configmaps "cm": the object has been modified; please apply your changes to the latest version and try again\n');
      const now = JSON.parse(ok(await k(['get', 'configmap', 'cm', '-o', 'json']), 'get after'));
      assert.deepEqual(now.data, { a: '1' });
      assert.notEqual(now.metadata.resourceVersion, stale.metadata.resourceVersion);
    });

    it('the server still answers after all the bad input', async () => {
      assert.equal(ok(await k(['run', 'still-ok', '--image=nginx:1.25']), 'run after errors'), 'pod/still-ok created\n');
    });
  });
}
