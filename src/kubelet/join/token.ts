// The node join token, in k3s's format (k3s pkg/clientaccess/token.go):
//
//   K10<sha256 hex of the server's CA bundle>::<username>:<password>
//
// berth's server writes `K10<hash>::server:<secret>` to DIR/node-token. A "bare" token (the
// `server:<secret>` part or the secret alone, k3s's short form) carries no CA hash: berth accepts
// it only together with a CA the caller already trusts (joinCluster's `caPem`), because without
// the hash the agent could not tell the real server from anything answering at the URL.

/** One parsed join token. */
export interface NodeToken {
  /** sha256 hex of the CA PEM bytes the server serves at /cacerts; undefined for a bare token. */
  caHash?: string;
  /** What the agent presents as its Bearer credential (the whole token as given). */
  bearer: string;
}

/** The one error class of joining; `code` says which step failed. */
export class JoinError extends Error {
  constructor(readonly code: 'InvalidToken' | 'CAHashMismatch' | 'Unauthorized' | 'Unreachable' | 'Rejected' | 'InvalidAnswer', message: string) {
    super(message);
    this.name = 'JoinError';
  }
}

/**
 * Parses a token (surrounding whitespace ignored). Throws JoinError('InvalidToken') with a
 * one-line message for a `K10` token whose hash is not 64 hex digits or that has no credential.
 */
export function parseNodeToken(raw: string): NodeToken {
  const token = raw.trim();
  if (token === '') throw new JoinError('InvalidToken', 'the node token is empty');
  if (token.startsWith('K10')) {
    const sep = token.indexOf('::');
    const hash = sep >= 0 ? token.slice(3, sep) : '';
    const cred = sep >= 0 ? token.slice(sep + 2) : '';
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new JoinError('InvalidToken', 'the node token is malformed: expected K10<64 hex digits of the CA hash>::<user>:<secret>');
    if (cred === '') throw new JoinError('InvalidToken', 'the node token has no credential after "::"');
    return { caHash: hash, bearer: token };
  }
  if (/\s/.test(token)) throw new JoinError('InvalidToken', 'the node token contains whitespace');
  return { bearer: token };
}
