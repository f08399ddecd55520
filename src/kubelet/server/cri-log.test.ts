import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CriLogReader, LogFormatter, LogOptionsError, parseCriLogLine, parseLogOptions, tailOffset, tailStart, type CriLogLine } from './cri-log.js';

test('CRI log lines parse into timestamp, stream, partial flag and content', () => {
  const cases = [
    { name: 'full stdout line', line: '2016-10-06T00:17:09.669794202Z stdout F hello world', want: { stream: 'stdout', partial: false, content: 'hello world', nanos: 669794202 } },
    { name: 'partial stderr line', line: '2016-10-06T00:17:09.669794203Z stderr P part', want: { stream: 'stderr', partial: true, content: 'part', nanos: 669794203 } },
    { name: 'empty full line has no separator after the tag', line: '2016-10-06T00:17:10Z stdout F', want: { stream: 'stdout', partial: false, content: '', nanos: 0 } },
    { name: 'content keeps its spaces', line: '2016-10-06T00:17:10.5Z stdout F  a  b ', want: { stream: 'stdout', partial: false, content: ' a  b ', nanos: 500000000 } },
  ];
  for (const c of cases) {
    const l = parseCriLogLine(Buffer.from(c.line));
    assert.ok(l, c.name);
    assert.deepEqual({ stream: l.stream, partial: l.partial, content: l.content.toString(), nanos: l.nanos }, c.want, c.name);
  }
  for (const bad of ['', 'garbage', '2016-10-06T00:17:09Z stdin F x', '2016-10-06T00:17:09Z stdout X x', 'notatime stdout F x']) {
    assert.equal(parseCriLogLine(Buffer.from(bad)), undefined, `rejects ${JSON.stringify(bad)}`);
  }
});

const line = (ts: string, stream: 'stdout' | 'stderr', partial: boolean, content: string): CriLogLine =>
  parseCriLogLine(Buffer.from(`${ts} ${stream} ${partial ? 'P' : 'F'} ${content}`))!;

test('the formatter joins partial lines, prefixes timestamps once per line, honours since and limitBytes', () => {
  const lines = [
    line('2024-01-01T00:00:01.1Z', 'stdout', true, 'hel'),
    line('2024-01-01T00:00:01.2Z', 'stderr', false, 'err'),
    line('2024-01-01T00:00:01.3Z', 'stdout', false, 'lo'),
    line('2024-01-01T00:00:02Z', 'stdout', false, 'second'),
  ];
  const cases = [
    { name: 'plain', opts: { timestamps: false }, want: 'helerr\nlo\nsecond\n' },
    { name: 'timestamps on the first piece only', opts: { timestamps: true }, want: '2024-01-01T00:00:01.1Z hel2024-01-01T00:00:01.2Z err\nlo\n2024-01-01T00:00:02Z second\n' },
    { name: 'since skips older lines', opts: { timestamps: false, sinceMs: Date.parse('2024-01-01T00:00:02Z') }, want: 'second\n' },
    { name: 'limitBytes cuts the output', opts: { timestamps: false, limitBytes: 5 }, want: 'heler' },
  ];
  for (const c of cases) {
    const f = new LogFormatter(c.opts);
    assert.equal(Buffer.concat(lines.map((l) => f.format(l))).toString(), c.want, c.name);
  }
});

test('log options parse as the kubelet reads PodLogOptions', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  const cases = [
    { name: 'defaults', q: '', want: { follow: false, previous: false, timestamps: false } },
    { name: 'flags and numbers', q: 'follow=true&previous=true&timestamps=true&tailLines=3&limitBytes=10', want: { follow: true, previous: true, timestamps: true, tailLines: 3, limitBytes: 10 } },
    { name: 'sinceSeconds is relative to now', q: 'sinceSeconds=60', want: { follow: false, previous: false, timestamps: false, sinceMs: Date.parse('2024-01-01T00:00:00Z') } },
    { name: 'sinceTime', q: 'sinceTime=2024-01-01T00:00:30Z', want: { follow: false, previous: false, timestamps: false, sinceMs: Date.parse('2024-01-01T00:00:30Z') } },
  ];
  for (const c of cases) assert.deepEqual(parseLogOptions(new URLSearchParams(c.q), now), c.want, c.name);
  for (const bad of ['tailLines=-1', 'tailLines=x', 'limitBytes=0', 'sinceSeconds=1&sinceTime=2024-01-01T00:00:30Z']) {
    assert.throws(() => parseLogOptions(new URLSearchParams(bad), now), LogOptionsError, bad);
  }
});

test('tailStart finds where the last n lines begin', () => {
  const data = Buffer.from('a\nb\nc\n');
  const cases = [
    { n: 0, want: 6 }, { n: 1, want: 4 }, { n: 2, want: 2 }, { n: 3, want: 0 }, { n: 10, want: 0 },
  ];
  for (const c of cases) assert.equal(tailStart(data, c.n), c.want, `n=${c.n}`);
});

test('the reader returns complete lines as a file grows, and tailOffset starts at the last n lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-crilog-'));
  try {
    const path = join(dir, '0.log');
    await writeFile(path, '2024-01-01T00:00:01Z stdout F one\n2024-01-01T00:00:02Z stdout F two\n2024-01-01T00:00:03Z std');
    const r = new CriLogReader(path);
    assert.deepEqual((await r.readNew()).map((l) => l.content.toString()), ['one', 'two']);
    assert.equal(await r.hasMore(), false, 'the unterminated line was consumed into the reader');
    await appendFile(path, 'err F three\n');
    assert.deepEqual((await r.readNew()).map((l) => `${l.stream}:${l.content}`), ['stderr:three']);
    const off = await tailOffset(path, 2);
    assert.deepEqual((await new CriLogReader(path, off).readNew()).map((l) => l.content.toString()), ['two', 'three']);
    assert.equal(await tailOffset(join(dir, 'absent.log'), 2), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
