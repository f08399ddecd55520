import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyEncoding, negotiateResponse } from './negotiation.js';

describe('negotiateResponse', () => {
  const cases: Array<{ name: string; accept?: string; want: { as: string; encoding: string; contentType: string } | undefined }> = [
    { name: 'no Accept is JSON', want: { as: 'Object', encoding: 'json', contentType: 'application/json' } },
    { name: 'kubectl get (Table first)', accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', want: { as: 'Table', encoding: 'json', contentType: 'application/json;as=Table;v=v1;g=meta.k8s.io' } },
    { name: 'Table v1beta1 only', accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io', want: { as: 'Table', encoding: 'json', contentType: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' } },
    { name: 'typed client: protobuf then JSON', accept: 'application/vnd.kubernetes.protobuf,application/json', want: { as: 'Object', encoding: 'json', contentType: 'application/json' } },
    { name: 'wildcard', accept: 'application/json, */*', want: { as: 'Object', encoding: 'json', contentType: 'application/json' } },
    { name: 'YAML', accept: 'application/yaml', want: { as: 'Object', encoding: 'yaml', contentType: 'application/yaml' } },
    { name: 'metadata client', accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json', want: { as: 'PartialObjectMetadata', encoding: 'json', contentType: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' } },
    { name: 'Table of an unknown group falls through to JSON', accept: 'application/json;as=Table;v=v1;g=example.com,application/json', want: { as: 'Object', encoding: 'json', contentType: 'application/json' } },
    { name: 'protobuf only is not acceptable', accept: 'application/vnd.kubernetes.protobuf', want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = negotiateResponse(c.accept);
      if (!c.want) return assert.equal(got, undefined);
      assert.ok(got);
      assert.deepEqual({ as: got.as, encoding: got.encoding, contentType: got.contentType }, c.want);
    });
  }
});

describe('bodyEncoding', () => {
  const cases: Array<{ name: string; ct?: string; want: string }> = [
    { name: 'missing Content-Type is JSON (kubectl scale PUT)', want: 'json' },
    { name: 'JSON with charset', ct: 'application/json; charset=utf-8', want: 'json' },
    { name: 'YAML', ct: 'application/yaml', want: 'yaml' },
    { name: 'protobuf', ct: 'application/vnd.kubernetes.protobuf', want: 'protobuf' },
    { name: 'strategic merge', ct: 'application/strategic-merge-patch+json', want: 'strategic-merge' },
    { name: 'merge', ct: 'application/merge-patch+json', want: 'merge' },
    { name: 'json patch', ct: 'application/json-patch+json', want: 'json-patch' },
    { name: 'server-side apply', ct: 'application/apply-patch+yaml', want: 'apply' },
    { name: 'other', ct: 'text/html', want: 'unsupported' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(bodyEncoding(c.ct), c.want));
});
