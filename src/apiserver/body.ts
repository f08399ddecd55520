// Request bodies: reading with upstream's 3 MiB limit, and decoding JSON and YAML with upstream's
// error wording (Go's encoding/json and sigs.k8s.io/yaml messages, which kubectl prints as is).
import type { IncomingMessage } from 'node:http';
import { parseDocument } from 'yaml';
import { badRequest, entityTooLarge } from './status.js';

/** The request body limit of kube-apiserver (--max-request-body-bytes default, CVE-2019-11253). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the whole body; 413 `Request entity too large: limit is 3145728` beyond the limit. */
export async function readBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    throw entityTooLarge(`limit is ${limit}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > limit) {
      req.resume();
      throw entityTooLarge(`limit is ${limit}`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

class GoJsonSyntax extends Error {}

function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '\n') return "'\\n'";
  if (c === '\t') return "'\\t'";
  if (c === '\r') return "'\\r'";
  return `'${c}'`;
}

/**
 * Go's encoding/json text for invalid JSON (`invalid character 'x' looking for beginning of
 * value`, `unexpected end of JSON input`): a small scanner that stops where Go's would. Only
 * called after JSON.parse failed, so its speed does not matter.
 */
export function goJsonError(text: string, _e?: unknown): string {
  let i = 0;
  const ws = (): void => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const fail = (where: string): never => {
    if (i >= text.length) throw new GoJsonSyntax('unexpected end of JSON input');
    throw new GoJsonSyntax(`invalid character ${quoteChar(text[i])} ${where}`);
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++, i++) {
      if (text[i] !== word[k]) fail(`in literal ${word} (expecting ${quoteChar(word[k])})`);
    }
  };
  const str = (): void => {
    i++;
    while (true) {
      if (i >= text.length) fail('');
      const c = text[i];
      if (c === '"') { i++; return; }
      if (c === '\\') { i += 2; continue; }
      if (c < ' ') fail('in string literal');
      i++;
    }
  };
  const num = (): void => {
    if (text[i] === '-') i++;
    if (!/[0-9]/.test(text[i] ?? '')) fail('in numeric literal');
    while (/[0-9.eE+-]/.test(text[i] ?? '')) i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      while (true) {
        ws();
        if (text[i] !== '"') fail('looking for beginning of object key string');
        str(); ws();
        if (text[i] !== ':') fail('after object key');
        i++;
        value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        fail('after object key:value pair');
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      while (true) {
        value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        fail('after array element');
      }
    }
    if (c === '"') return str();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    fail('looking for beginning of value');
  };
  try {
    value(); ws();
    if (i < text.length) fail('after top-level value');
    return 'unexpected end of JSON input';
  } catch (e) {
    if (e instanceof GoJsonSyntax) return e.message;
    throw e;
  }
}

/** Parses a JSON body; 400 with upstream's wording on a syntax error. */
export function decodeJson(buf: Buffer, what: 'object' | 'patch' = 'object'): unknown {
  const text = buf.toString('utf8');
  if (text.trim() === '') {
    throw badRequest(what === 'patch' ? 'error decoding patch: unexpected end of JSON input' : "Object 'Kind' is missing in ''");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const go = goJsonError(text, e);
    throw badRequest(what === 'patch' ? `error decoding patch: ${go}` : `couldn't get version/kind; json parse error: ${go}`);
  }
}

/** Parses a YAML body (one document); aliases are capped, which stops "billion laughs" bodies. */
export function decodeYaml(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    const doc = parseDocument(text);
    if (doc.errors.length) throw doc.errors[0];
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const line = /line (\d+)/.exec(msg)?.[1];
    throw badRequest(`error converting YAML to JSON: yaml: ${line ? `line ${line}: ` : ''}${msg.replace(/ at line \d+, column \d+:?.*$/, '')}`);
  }
}
