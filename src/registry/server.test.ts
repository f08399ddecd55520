import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRangeHeader } from './server.js';

test('parseRangeHeader: single byte ranges, clamped; unsatisfiable ones are 416', () => {
  const cases: Array<{ name: string; header?: string; size: number; want: ReturnType<typeof parseRangeHeader> }> = [
    { name: 'absent', header: undefined, size: 10, want: undefined },
    { name: 'another unit is ignored', header: 'items=0-1', size: 10, want: undefined },
    { name: 'closed', header: 'bytes=2-5', size: 10, want: { start: 2, end: 5 } },
    { name: 'open-ended', header: 'bytes=4-', size: 10, want: { start: 4, end: 9 } },
    { name: 'suffix', header: 'bytes=-3', size: 10, want: { start: 7, end: 9 } },
    { name: 'suffix longer than the blob', header: 'bytes=-30', size: 10, want: { start: 0, end: 9 } },
    { name: 'end clamped', header: 'bytes=8-100', size: 10, want: { start: 8, end: 9 } },
    { name: 'start after end', header: 'bytes=5-0', size: 10, want: 'unsatisfiable' },
    { name: 'start at size', header: 'bytes=10-', size: 10, want: 'unsatisfiable' },
    { name: 'zero suffix', header: 'bytes=-0', size: 10, want: 'unsatisfiable' },
    { name: 'multiple ranges', header: 'bytes=0-0,1-1', size: 10, want: 'unsatisfiable' },
    { name: 'empty blob', header: 'bytes=0-', size: 0, want: 'unsatisfiable' },
    { name: 'garbage', header: 'bytes=abc', size: 10, want: 'unsatisfiable' },
  ];
  for (const c of cases) assert.deepEqual(parseRangeHeader(c.header, c.size), c.want, c.name);
});
