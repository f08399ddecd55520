import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatLabelSelector,
  labelSelectorFromObject,
  type LabelSelectorObject,
  listSelectorErrorMessage,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './selectors.js';

const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parseLabelSelector', () => {
  const ok = [
    { name: 'empty selects everything', in: '', out: '' },
    { name: 'equality forms', in: 'a=b,c==d,e!=f', out: 'a=b,c==d,e!=f' },
    { name: 'set forms, sorted by key and value', in: 'z notin (c,a), y in (b,a)', out: 'y in (a,b),z notin (a,c)' },
    { name: 'exists and does-not-exist', in: 'g,!h', out: 'g,!h' },
    { name: 'the example from the issue', in: 'a=b,c!=d,e in (x,y),f notin (z),g,!h', out: 'a=b,c!=d,e in (x,y),f notin (z),g,!h' },
    { name: 'whitespace around operators', in: ' a = b , c in ( x , y ) ', out: 'a=b,c in (x,y)' },
    { name: 'prefixed key', in: 'app.kubernetes.io/name=web', out: 'app.kubernetes.io/name=web' },
    { name: 'empty value', in: 'a=,b in ()', out: 'a=,b in ()' },
    { name: '"in" as a value', in: 'x in (in,notin)', out: 'x in (in,notin)' },
    { name: 'gt and lt', in: 'n>3,m<10', out: 'm<10,n>3' },
    { name: 'duplicate values collapse', in: 'a in (x,x,y)', out: 'a in (x,y)' },
  ];
  for (const c of ok) it(c.name, () => assert.equal(parseLabelSelector(c.in).toString(), c.out));

  const bad = [
    { name: 'bad key (kubectl -l app:monolith)', in: 'app:monolith', err: `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${NAME_PART}` },
    {
      name: 'bad key prefix',
      in: 'app.kubernetes_io/name=x',
      err:
        'unable to parse requirement: <nil>: Invalid value: "app.kubernetes_io/name": prefix part a lowercase RFC 1123 subdomain must consist of lower case ' +
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    },
    { name: 'bad value', in: 'app=a b', err: "found 'b', expected: ',' or 'end of string'" },
    { name: 'invalid value characters', in: 'app=-x', err: `unable to parse requirement: values[0][app]: Invalid value: "-x": ${LABEL_VALUE}` },
    { name: 'in without parenthesis', in: 'a in x', err: "unable to parse requirement: found 'x' expected: '('" },
    { name: 'in cut short', in: 'a in', err: "unable to parse requirement: found '' expected: '('" },
    { name: 'unclosed set', in: 'a in (x', err: "unable to parse requirement: found '', expected: ',' or ')'" },
    { name: 'key then identifier', in: 'a b', err: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
    { name: 'leading comma', in: ',a', err: "found ',', expected: !, identifier, or 'end of string'" },
    { name: 'trailing comma', in: 'a=b,', err: "found '', expected: identifier after ','" },
    { name: 'operator without key', in: '=b', err: "found '=', expected: !, identifier, or 'end of string'" },
    { name: 'gt with a non-integer', in: 'n>x', err: `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer` },
    { name: 'over-long value', in: `a=${'v'.repeat(64)}`, err: `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters` },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => parseLabelSelector(c.in), (e: unknown) => {
        assert.ok(e instanceof SelectorError);
        assert.equal(e.message, c.err);
        return true;
      });
    });
  }
});

describe('label selector matching', () => {
  const labels = { app: 'web', tier: 'frontend', n: '5' };
  const cases = [
    { name: 'equal', sel: 'app=web', want: true },
    { name: 'equal, other value', sel: 'app=db', want: false },
    { name: 'not equal', sel: 'app!=db', want: true },
    { name: 'not equal on a missing key matches', sel: 'env!=prod', want: true },
    { name: 'in', sel: 'tier in (frontend,backend)', want: true },
    { name: 'in on a missing key', sel: 'env in (prod)', want: false },
    { name: 'notin', sel: 'tier notin (frontend)', want: false },
    { name: 'notin on a missing key matches', sel: 'env notin (prod)', want: true },
    { name: 'exists', sel: 'tier', want: true },
    { name: 'does not exist', sel: '!tier', want: false },
    { name: 'does not exist, absent', sel: '!env', want: true },
    { name: 'gt', sel: 'n>4', want: true },
    { name: 'lt', sel: 'n<5', want: false },
    { name: 'all requirements must hold', sel: 'app=web,tier=backend', want: false },
    { name: 'empty selects all', sel: '', want: true },
  ];
  for (const c of cases) it(c.name, () => assert.equal(parseLabelSelector(c.sel).matches(labels), c.want));

  it('matches objects without labels only where absence is allowed', () => {
    assert.equal(parseLabelSelector('!a').matches(undefined), true);
    assert.equal(parseLabelSelector('a').matches(undefined), false);
  });
  it('reports an exact match', () => {
    assert.equal(parseLabelSelector('app=web,x in (y)').requiresExactMatch('x'), 'y');
    assert.equal(parseLabelSelector('app!=web').requiresExactMatch('app'), undefined);
  });
});

describe('labelSelectorFromObject', () => {
  const cases: Array<{ name: string; obj: LabelSelectorObject | null; labels: Record<string, string>; want: boolean; str: string }> = [
    { name: 'null selects nothing', obj: null, labels: { a: 'b' }, want: false, str: '<none>' },
    { name: 'empty selects everything', obj: {}, labels: { a: 'b' }, want: true, str: '<none>' },
    { name: 'matchLabels', obj: { matchLabels: { app: 'web' } }, labels: { app: 'web' }, want: true, str: 'app=web' },
    {
      name: 'matchExpressions',
      obj: {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['frontend', 'api'] },
          { key: 'env', operator: 'NotIn', values: ['prod'] },
          { key: 'track', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      labels: { app: 'web', tier: 'api', track: 'x' },
      want: true,
      str: 'app=web,env notin (prod),!legacy,tier in (api,frontend),track',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(labelSelectorFromObject(c.obj).matches(c.labels), c.want);
      assert.equal(formatLabelSelector(c.obj), c.str);
    });
  }

  const bad = [
    { name: 'unknown operator', obj: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, err: '"Equals" is not a valid label selector operator' },
    { name: 'In without values', obj: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, err: "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty" },
    { name: 'Exists with values', obj: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, err: 'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist' },
    { name: 'bad key', obj: { matchLabels: { 'a b': 'x' } }, err: `key: Invalid value: "a b": ${NAME_PART}` },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => labelSelectorFromObject(c.obj), { name: 'SelectorError', message: c.err });
      assert.equal(formatLabelSelector(c.obj), '<error>');
    });
  }
});

describe('parseFieldSelector', () => {
  const fields = { 'metadata.name': 'web', 'metadata.namespace': 'default', 'spec.nodeName': '', 'status.phase': 'Running' };
  const cases = [
    { name: 'equals', sel: 'metadata.name=web', want: true, str: 'metadata.name=web' },
    { name: 'double equals', sel: 'metadata.name==web', want: true, str: 'metadata.name=web' },
    { name: 'not equals', sel: 'status.phase!=Running', want: false, str: 'status.phase!=Running' },
    { name: 'unscheduled pods (empty value)', sel: 'spec.nodeName=', want: true, str: 'spec.nodeName=' },
    { name: 'missing field reads as empty', sel: 'spec.missing=', want: true, str: 'spec.missing=' },
    { name: 'and of terms', sel: 'metadata.namespace=default,metadata.name=db', want: false, str: 'metadata.name=db,metadata.namespace=default' },
    { name: 'escaped comma and equals in the value', sel: 'metadata.name=a\\,b\\=c', want: false, str: 'metadata.name=a\\,b\\=c' },
    { name: 'empty selects all', sel: '', want: true, str: '' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = parseFieldSelector(c.sel);
      assert.equal(s.matches(fields), c.want);
      assert.equal(s.toString(), c.str);
    });
  }
  it('unescapes values', () => {
    assert.deepEqual(parseFieldSelector('a=x\\,y\\\\').requirements, [{ field: 'a', operator: '=', value: 'x,y\\' }]);
    assert.equal(parseFieldSelector('metadata.name=web').requiresExactMatch('metadata.name'), 'web');
  });

  const bad = [
    { name: 'no operator', sel: 'metadata.name', err: "invalid selector: 'metadata.name'; can't understand 'metadata.name'" },
    { name: 'one bad term among good ones', sel: 'a=b,c', err: "invalid selector: 'a=b,c'; can't understand 'c'" },
    { name: 'unescaped equals in the value', sel: 'a=b=c', err: 'invalid field selector: unescaped character in value: 61' },
    { name: 'unknown escape', sel: 'a=b\\x', err: 'invalid field selector: invalid escape sequence: \\x' },
    { name: 'trailing backslash', sel: 'a=b\\', err: 'invalid field selector: invalid escape sequence: \\' },
  ];
  for (const c of bad) it(`rejects ${c.name}`, () => assert.throws(() => parseFieldSelector(c.sel), { name: 'SelectorError', message: c.err }));
});

describe('listSelectorErrorMessage', () => {
  it('wraps the parse error as the API server does', () => {
    assert.equal(
      listSelectorErrorMessage('/v1, Resource=pods', 'app:monolith', '', 'unable to parse requirement: x'),
      'Unable to find "/v1, Resource=pods" that match label selector "app:monolith", field selector "": unable to parse requirement: x',
    );
  });
});
