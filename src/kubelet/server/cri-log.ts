// Reading CRI container log files, as upstream's kubelet does in pkg/kubelet/kuberuntime/logs:
// each file line is `<RFC3339Nano> <stdout|stderr> <P|F> <content>`; `P` marks a partial line
// whose content continues in the next line of the same stream, `F` a full one. The kubelet joins
// partial lines, prefixes the first piece's timestamp when `timestamps` is set, skips lines before
// `since`, starts `tailLines` file lines from the end, and stops after `limitBytes`.
import { open, stat } from 'node:fs/promises';

/** One parsed line of a CRI log file. */
export interface CriLogLine {
  /** The timestamp exactly as written (RFC3339Nano, which is also what upstream prints). */
  timestamp: string;
  /** Milliseconds since the epoch (for `since` comparisons). */
  timeMs: number;
  /** Nanoseconds within the second, so equal milliseconds still order correctly. */
  nanos: number;
  stream: 'stdout' | 'stderr';
  /** True for `P` (the content continues in the next line of this stream). */
  partial: boolean;
  /** The content without the trailing newline. */
  content: Buffer;
}

/**
 * Parses one file line (without its newline). Returns undefined for a malformed line, which the
 * caller skips as upstream does (it logs and continues).
 */
export function parseCriLogLine(line: Buffer): CriLogLine | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const timestamp = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const s3 = line.indexOf(0x20, s2 + 1);
  // Tag `F`/`P`; an empty full line has no separator after the tag.
  const tag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString('latin1');
  if (tag !== 'F' && tag !== 'P') return undefined;
  const timeMs = Date.parse(timestamp);
  if (Number.isNaN(timeMs)) return undefined;
  const frac = /\.(\d+)/.exec(timestamp);
  const nanos = frac ? Number(frac[1].padEnd(9, '0').slice(0, 9)) : 0;
  return { timestamp, timeMs, nanos, stream, partial: tag === 'P', content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) };
}

/** Log options as the kubelet's containerLogs endpoint takes them (core/v1 PodLogOptions). */
export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** Start this many file lines from the end; undefined for all. */
  tailLines?: number;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Skip lines older than this (ms since the epoch, from sinceSeconds or sinceTime). */
  sinceMs?: number;
}

/** Why query parameters were rejected (the 400 text). */
export class LogOptionsError extends Error {
  override readonly name = 'LogOptionsError';
}

function parseBool(v: string | null): boolean {
  return v === 'true' || v === '1' || v === '';
}

function parseIntParam(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw new LogOptionsError(`${name}: invalid value "${v}"`);
  const n = Number(v);
  if (n < min) throw new LogOptionsError(`${name}: must be greater than ${min === 0 ? 'or equal to 0' : min - 1}`);
  return n;
}

/** Reads PodLogOptions from the query string; `now` anchors sinceSeconds. */
export function parseLogOptions(q: URLSearchParams, now: number): LogOptions {
  const opts: LogOptions = {
    follow: q.has('follow') && parseBool(q.get('follow')),
    previous: q.has('previous') && parseBool(q.get('previous')),
    timestamps: q.has('timestamps') && parseBool(q.get('timestamps')),
  };
  const tail = parseIntParam(q, 'tailLines', 0);
  if (tail !== undefined) opts.tailLines = tail;
  const limit = parseIntParam(q, 'limitBytes', 1);
  if (limit !== undefined) opts.limitBytes = limit;
  const sinceSeconds = parseIntParam(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw new LogOptionsError('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (sinceSeconds !== undefined) opts.sinceMs = now - sinceSeconds * 1000;
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new LogOptionsError(`sinceTime: invalid value "${sinceTime}"`);
    opts.sinceMs = t;
  }
  return opts;
}

/**
 * Turns parsed lines into output bytes: partial lines joined, timestamps prefixed to the first piece
 * of each joined line, lines before `since` skipped, output cut at `limitBytes`. Stateful across
 * calls so a follow can feed lines as they are written.
 */
export class LogFormatter {
  private partialOf: { stdout: boolean; stderr: boolean } = { stdout: false, stderr: false };
  private written = 0;

  /** Formatting choices come from the request. */
  constructor(private readonly opts: Pick<LogOptions, 'timestamps' | 'sinceMs' | 'limitBytes'>) {}

  /** True once `limitBytes` bytes have been produced. */
  get limitReached(): boolean {
    return this.opts.limitBytes !== undefined && this.written >= this.opts.limitBytes;
  }

  /** Output bytes for one line (possibly empty). */
  format(l: CriLogLine): Buffer {
    if (this.limitReached) return Buffer.alloc(0);
    if (this.opts.sinceMs !== undefined && l.timeMs < this.opts.sinceMs) return Buffer.alloc(0);
    const continuing = this.partialOf[l.stream];
    this.partialOf[l.stream] = l.partial;
    const parts: Buffer[] = [];
    if (this.opts.timestamps && !continuing) parts.push(Buffer.from(`${l.timestamp} `, 'latin1'));
    parts.push(l.content);
    if (!l.partial) parts.push(Buffer.from('\n'));
    let out = Buffer.concat(parts);
    if (this.opts.limitBytes !== undefined && this.written + out.length > this.opts.limitBytes) {
      out = out.subarray(0, this.opts.limitBytes - this.written);
    }
    this.written += out.length;
    return out;
  }
}

/** Byte offset where the last `n` complete lines of `data` start (upstream's tail.FindTailLineStartIndex). */
export function tailStart(data: Buffer, n: number): number {
  if (n <= 0) return data.length;
  let end = data.length;
  // A trailing newline ends the last line rather than starting an empty one.
  if (end > 0 && data[end - 1] === 0x0a) end--;
  let count = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (data[i] === 0x0a) {
      count++;
      if (count === n) return i + 1;
    }
  }
  return 0;
}

/** Bytes read at once when scanning a log file. */
/** The most one readNew() call reads. */
const MAX_READ = 1 << 20;
const CHUNK = 64 * 1024;

/**
 * Incremental reader of a growing CRI log file: `readNew()` returns the complete lines appended
 * since the previous call (a trailing line without its newline waits for the next call).
 */
export class CriLogReader {
  private offset = 0;
  private rest: Buffer = Buffer.alloc(0);

  /** Reads `path` from `startOffset`. */
  constructor(private readonly path: string, startOffset = 0) {
    this.offset = startOffset;
  }

  /** Current size of the file, or -1 when it is gone. */
  async size(): Promise<number> {
    try {
      return (await stat(this.path)).size;
    } catch {
      return -1;
    }
  }

  /** True when bytes beyond what was read exist. */
  async hasMore(): Promise<boolean> {
    return (await this.size()) > this.offset;
  }

  /** The offset read up to. */
  get position(): number {
    return this.offset;
  }

  /**
   * Complete lines appended since the last call: at most MAX_READ bytes per call (a big log is
   * streamed in steps, never read whole), and never beyond `end` when given.
   */
  async readNew(end?: number): Promise<CriLogLine[]> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch {
      return [];
    }
    const lines: CriLogLine[] = [];
    try {
      const buf = Buffer.alloc(CHUNK);
      const stopAt = Math.min(end ?? Infinity, this.offset + MAX_READ);
      for (;;) {
        const want = Math.min(CHUNK, stopAt - this.offset);
        if (want <= 0) break;
        const { bytesRead } = await fh.read(buf, 0, want, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        let data = Buffer.concat([this.rest, buf.subarray(0, bytesRead)]);
        let nl = data.indexOf(0x0a);
        while (nl >= 0) {
          const parsed = parseCriLogLine(data.subarray(0, nl));
          if (parsed) lines.push({ ...parsed, content: Buffer.from(parsed.content) });
          data = data.subarray(nl + 1);
          nl = data.indexOf(0x0a);
        }
        this.rest = Buffer.from(data);
        if (bytesRead < want) break;
      }
    } finally {
      await fh.close();
    }
    return lines;
  }
}

/**
 * Offset at which to start reading for `tailLines`, counting back from `end` (default: the
 * file's current size), reading the file from there backwards.
 */
export async function tailOffset(path: string, tailLines: number | undefined, end?: number): Promise<number> {
  if (tailLines === undefined) return 0;
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return 0;
  }
  try {
    const size = Math.min(end ?? Infinity, (await fh.stat()).size);
    if (tailLines === 0) return size;
    // Grow a window backwards from the end until it holds enough newlines.
    let window = Math.min(size, CHUNK);
    for (;;) {
      const buf = Buffer.alloc(window);
      await fh.read(buf, 0, window, size - window);
      const start = tailStart(buf, tailLines);
      if (start > 0 || window === size) return size - window + start;
      window = Math.min(size, window * 4);
    }
  } finally {
    await fh.close();
  }
}
