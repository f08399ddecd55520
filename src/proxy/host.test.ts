import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainsIn, jumpIn, splitRule, strayJumps } from './host.js';
import { jumpRules } from './rules.js';

// As iptables-save (nf_tables 1.8.9) prints our jumps: matches reordered, comment quoted.
const natSaved = `*nat
:PREROUTING ACCEPT [0:0]
:BT6-SERVICES - [0:0]
:BT6-SVC-ABC - [0:0]
:OTHER-CHAIN - [0:0]
-A PREROUTING -m comment --comment "berth service portals" -j BT6-SERVICES
-A POSTROUTING -m comment --comment "someone else" -j OTHER-CHAIN
COMMIT
`;
const filterSaved = `*filter
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "berth service portals" -j BT6-SERVICES
-A FORWARD -m comment --comment "berth service portals" -j BT6-SERVICES
COMMIT
`;

test('chainsIn lists only our prefix', () => {
  assert.deepEqual(chainsIn(natSaved, 'BT6'), ['BT6-SERVICES', 'BT6-SVC-ABC']);
});

test('jumpIn recognises saved jumps by chain, target and ctstate', () => {
  const rules = jumpRules('BT6');
  const find = (table: string, chain: string, target: string) => rules.find((r) => r.table === table && r.chain === chain && r.args.at(-1) === target)!;
  const saved = { nat: natSaved, filter: filterSaved };
  for (const c of [
    { name: 'nat PREROUTING present', rule: find('nat', 'PREROUTING', 'BT6-SERVICES'), want: true },
    { name: 'nat OUTPUT missing', rule: find('nat', 'OUTPUT', 'BT6-SERVICES'), want: false },
    { name: 'nat POSTROUTING: another chain\'s jump does not count', rule: find('nat', 'POSTROUTING', 'BT6-POSTROUTING'), want: false },
    { name: 'filter OUTPUT with ctstate NEW present', rule: find('filter', 'OUTPUT', 'BT6-SERVICES'), want: true },
    { name: 'filter FORWARD without ctstate NEW does not count', rule: find('filter', 'FORWARD', 'BT6-SERVICES'), want: false },
  ]) assert.equal(jumpIn(saved[c.rule.table], c.rule), c.want, c.name);
});

test('strayJumps finds jumps into our chains that this version does not install', () => {
  const saved = `-A INPUT -m conntrack --ctstate NEW -m comment --comment "berth stale service addresses" -j BT6-SERVICE-GUARD
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "berth service portals" -j BT6-SERVICES
-A INPUT -j OTHER-CHAIN
-A BT6-SERVICES -j BT6-SVC-ABC
`;
  assert.deepEqual(strayJumps(saved, 'BT6', jumpRules('BT6')), [
    ['INPUT', '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'berth stale service addresses', '-j', 'BT6-SERVICE-GUARD'],
  ]);
  assert.equal(strayJumps(saved, 'BT6', []).length, 2, 'cleanup: every jump from a built-in chain');
});

test('splitRule keeps quoted comments whole', () => {
  assert.deepEqual(splitRule('-A X -m comment --comment "a \\"b\\" c" -j Y'), ['-A', 'X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'Y']);
});
