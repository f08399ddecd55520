import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paginate, parsePaging } from './paging.js';
import { ApiError } from './errors.js';

test('parsePaging: defaults, bounds and Harbor 422s', () => {
  const cases: Array<{ name: string; q: string; want?: { page: number; pageSize: number }; err?: string }> = [
    { name: 'defaults', q: '', want: { page: 1, pageSize: 10 } },
    { name: 'explicit', q: 'page=3&page_size=100', want: { page: 3, pageSize: 100 } },
    { name: 'page_size over 100', q: 'page_size=101', err: 'page_size in query should be less than or equal to 100' },
    { name: 'huge page_size', q: 'page_size=99999999999', err: 'page_size in query should be less than or equal to 100' },
    { name: 'zero page', q: 'page=0', err: 'page in query should be greater than or equal to 1' },
    { name: 'negative size', q: 'page_size=-1', err: 'page_size in query should be greater than or equal to 1' },
    { name: 'not a number', q: 'page=abc', err: 'page in query must be of type int64: "abc"' },
  ];
  for (const c of cases) {
    const url = new URL(`http://x/api/v2.0/projects?${c.q}`);
    if (c.want) assert.deepEqual(parsePaging(url), c.want, c.name);
    else {
      assert.throws(() => parsePaging(url), (e: unknown) => e instanceof ApiError && e.status === 422 && e.message === c.err, c.name);
    }
  }
});

test('paginate: slice, X-Total-Count and Link prev/next', () => {
  const items = Array.from({ length: 25 }, (_, i) => i);
  const cases = [
    { name: 'first page', q: 'page=1&page_size=10', items: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], link: '</api/v2.0/projects?page=2&page_size=10>; rel="next"' },
    { name: 'middle page', q: 'page=2&page_size=10&name=a', items: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], link: '</api/v2.0/projects?page=1&page_size=10&name=a>; rel="prev" , </api/v2.0/projects?page=3&page_size=10&name=a>; rel="next"' },
    { name: 'last page', q: 'page=3&page_size=10', items: [20, 21, 22, 23, 24], link: '</api/v2.0/projects?page=2&page_size=10>; rel="prev"' },
    { name: 'past the end', q: 'page=9&page_size=10', items: [], link: undefined },
  ];
  for (const c of cases) {
    const url = new URL(`http://x/api/v2.0/projects?${c.q}`);
    const r = paginate(items, parsePaging(url), url);
    assert.deepEqual(r.items, c.items, c.name);
    assert.equal(r.headers['X-Total-Count'], '25', c.name);
    assert.equal(r.headers.Link, c.link, c.name);
  }
});
