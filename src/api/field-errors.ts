// Field errors as upstream's apimachinery validation reports them (k8s.io/apimachinery
// pkg/util/validation/field/errors.go). A 422 Invalid Status lists them as details.causes with
// reason = `FieldValue${type}`, field = path, message = the rendered text below.

export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'Duplicate'
  | 'NotSupported'
  | 'Forbidden'
  | 'TooLong'
  | 'TooMany'
  | 'TypeInvalid'
  | 'NotFound'
  | 'Internal';

export interface FieldError {
  type: FieldErrorType;
  /** Field path as upstream prints it, e.g. `spec.containers[0].image`, `metadata.labels`. */
  field: string;
  /** The offending value (rendered for Invalid/Duplicate/NotSupported/TypeInvalid). */
  badValue?: unknown;
  /** Human detail after the type text. */
  detail?: string;
  /** For NotSupported: the supported values, quoted in the message. */
  supported?: string[];
}

/** The cause reason upstream puts in Status.details.causes[].reason. */
export function causeReason(t: FieldErrorType): string {
  return `FieldValue${t}`;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  Required: 'Required value',
  Invalid: 'Invalid value',
  Duplicate: 'Duplicate value',
  NotSupported: 'Unsupported value',
  Forbidden: 'Forbidden',
  TooLong: 'Too long',
  TooMany: 'Too many',
  TypeInvalid: 'Invalid value',
  NotFound: 'Not found',
  Internal: 'Internal error',
};

/** Renders a bad value as Go's %q / %d / %v would in upstream messages. */
export function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}

/** The text after `field: ` (upstream's ErrorBody). */
export function fieldErrorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type];
  const withValue = e.type === 'Invalid' || e.type === 'Duplicate' || e.type === 'NotSupported' || e.type === 'TypeInvalid' || e.type === 'NotFound';
  if (withValue && e.badValue !== undefined) s += `: ${renderValue(e.badValue)}`;
  if (e.type === 'NotSupported' && e.supported?.length) s += `: supported values: ${e.supported.map((x) => JSON.stringify(x)).join(', ')}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** `field: body`, upstream's field.Error.Error(). */
export function formatFieldError(e: FieldError): string {
  return e.field ? `${e.field}: ${fieldErrorBody(e)}` : fieldErrorBody(e);
}

/**
 * The message of a 422 Invalid Status: `Pod "x" is invalid: <one error>` or, for several,
 * `Pod "x" is invalid: [<e1>, <e2>]` (apimachinery errors.NewInvalid with ToAggregate).
 */
export function invalidMessage(kind: string, name: string, errors: FieldError[]): string {
  const parts = errors.map(formatFieldError);
  const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return `${kind} "${name}" is invalid: ${body}`;
}
