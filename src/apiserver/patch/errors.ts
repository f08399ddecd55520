// The patch engines' one error class, carrying what the API server needs for the Status it returns
// (k8s.io/apiserver pkg/endpoints/handlers/patch.go decides the code per patch type).

/** HTTP status and Status.reason a patch failure maps to. */
export type PatchErrorStatus = 400 | 413 | 422;

/**
 * A patch that cannot be applied. `message` is the engine's own error text (upstream's wording
 * where known). The API server builds its Status from `code`, `reason` and `statusMessage`, and,
 * for 422, puts `message` in details.causes[0] with reason UnexpectedServerResponse, as
 * apimachinery's NewGenericServerResponse does (kubectl then prints
 * "The request is invalid: the server rejected our request due to an error in our request").
 */
export class PatchError extends Error {
  readonly reason: 'BadRequest' | 'Invalid' | 'RequestEntityTooLarge';

  constructor(
    message: string,
    readonly code: PatchErrorStatus = 422,
  ) {
    super(message);
    this.name = 'PatchError';
    this.reason = code === 400 ? 'BadRequest' : code === 413 ? 'RequestEntityTooLarge' : 'Invalid';
  }

  /** The Status.message upstream sends for this error. */
  get statusMessage(): string {
    if (this.code === 422) return 'the server rejected our request due to an error in our request';
    if (this.code === 413) return `Request entity too large: ${this.message}`;
    return this.message;
  }
}

/** Go's %v of a decoded JSON value, for messages that embed one (map[k:v] [a b]). */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `map[${keys.map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}
