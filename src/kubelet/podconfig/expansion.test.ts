// $(VAR) expansion rules, cases after upstream's third_party/forked/golang/expansion/expand_test.go.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, mappingFor } from './expansion.js';

const vars = new Map([['VAR_A', 'A'], ['VAR_B', 'B'], ['VAR_C', 'C'], ['VAR_REF', '$(VAR_A)'], ['VAR_EMPTY', ''], ['BLU', 'blue']]);
const services = new Map([['SVC_HOST', '10.43.0.5'], ['VAR_A', 'from-services']]);
const mapping = mappingFor(vars, services);

const cases: { name: string; input: string; want: string }[] = [
  { name: 'whole string', input: '$(VAR_A)', want: 'A' },
  { name: 'repeat', input: '$(VAR_A)-$(VAR_A)', want: 'A-A' },
  { name: 'multiple refs', input: '$(VAR_A)-$(VAR_B)-$(VAR_C)', want: 'A-B-C' },
  { name: 'beginning', input: '$(VAR_A)-1', want: 'A-1' },
  { name: 'middle', input: '___$(VAR_B)___', want: '___B___' },
  { name: 'end', input: 'foo-$(VAR_C)', want: 'foo-C' },
  { name: 'no recursion: the value is not expanded again', input: '$(VAR_REF)', want: '$(VAR_A)' },
  { name: 'empty value', input: 'x$(VAR_EMPTY)y', want: 'xy' },
  { name: 'first context wins', input: '$(VAR_A)', want: 'A' },
  { name: 'second context', input: 'http://$(SVC_HOST)/', want: 'http://10.43.0.5/' },
  { name: 'undefined var stays as written', input: '$(VAR_DNE)', want: '$(VAR_DNE)' },
  { name: 'escaped operator', input: '$$(VAR_A)', want: '$(VAR_A)' },
  { name: 'escape then ref', input: '$$(VAR_B)_$(VAR_A)', want: '$(VAR_B)_A' },
  { name: 'multiple escapes', input: '$$$$$$(BIG_MONEY)', want: '$$$(BIG_MONEY)' },
  { name: 'three dollars', input: '$$$', want: '$$' },
  { name: 'incomplete reference', input: '$(VAR_A', want: '$(VAR_A' },
  { name: 'incomplete in the middle', input: 'foo$(VAR_A bar', want: 'foo$(VAR_A bar' },
  { name: 'operator not followed by paren', input: '$VAR_A', want: '$VAR_A' },
  { name: 'lone trailing operator', input: 'foo$', want: 'foo$' },
  { name: 'lone operator', input: '$', want: '$' },
  { name: 'empty name is unresolved', input: '$()', want: '$()' },
  { name: 'nested reads up to the first closer', input: '$(VAR_$(VAR_A))', want: '$(VAR_$(VAR_A))' },
  { name: 'shell-looking text is untouched', input: 'echo ${HOME} $HOME', want: 'echo ${HOME} $HOME' },
  { name: 'unicode around refs', input: 'é$(BLU)ü', want: 'éblueü' },
];

for (const c of cases) {
  test(`expand: ${c.name}`, () => {
    assert.equal(expand(c.input, mapping), c.want);
  });
}
