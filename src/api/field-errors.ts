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
