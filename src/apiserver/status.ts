// Kubernetes `Status` objects and the one error class of the API server (ApiError). Every failure a
// handler meets becomes an ApiError built here, with upstream's reason, code and message format
// (k8s.io/apimachinery pkg/api/errors/errors.go), and is written once by the HTTP layer.
import { causeReason, formatFieldError, invalidMessage, type FieldError } from '../api/field-errors.js';

/** A metav1.Status cause (details.causes[]). */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** metav1.Status as the API server writes it. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string; resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** The API server's error: carries the Status to answer with. */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.name = 'ApiError';
  }
  /** The HTTP status code. */
  get code(): number {
    return this.status.code;
  }
}

/** Identifies a resource in messages: `pods` for core, `deployments.apps` for other groups. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** `pods` or `deployments.apps` (schema.GroupResource.String()). */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function failure(code: number, reason: string, message: string, details?: Status['details']): ApiError {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return new ApiError(s);
}

function grDetails(gr: GroupResource, name: string): Status['details'] {
  const d: Status['details'] = { name };
  if (gr.group) d.group = gr.group;
  d.kind = gr.resource;
  return d;
}

/** A success Status (delete of an object that is gone at once). */
export function successStatus(details?: Status['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}

/** 404 `pods "x" not found`. */
export function notFound(gr: GroupResource, name: string): ApiError {
  return failure(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, grDetails(gr, name));
}

/** 404 for a path no route serves. */
export function routeNotFound(): ApiError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 `pods "x" already exists`. */
export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return failure(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, grDetails(gr, name));
}

/** The detail of a stale-resourceVersion conflict (registry/generic/registry/store.go OptimisticLockErrorMsg). */
export const OPTIMISTIC_LOCK_MSG = 'the object has been modified; please apply your changes to the latest version and try again';

/** 409 `Operation cannot be fulfilled on pods "x": <detail>`. */
export function conflict(gr: GroupResource, name: string, detail: string = OPTIMISTIC_LOCK_MSG): ApiError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${detail}`, grDetails(gr, name));
}

/** 422 Invalid with details.causes; `kind` is the kind (`Pod`), group qualifies it (`Deployment.apps`). */
export function invalid(group: string, kind: string, name: string, errors: FieldError[]): ApiError {
  const qualified = group ? `${kind}.${group}` : kind;
  const causes = errors.map((e) => {
    const text = formatFieldError(e);
    const body = e.field && text.startsWith(`${e.field}: `) ? text.slice(e.field.length + 2) : text;
    return { reason: causeReason(e.type), message: body, field: e.field };
  });
  const details: Status['details'] = { name };
  if (group) details.group = group;
  details.kind = kind;
  details.causes = causes;
  return failure(422, 'Invalid', invalidMessage(qualified, name, errors), details);
}

/** 400 BadRequest with the message as given. */
export function badRequest(message: string): ApiError {
  return failure(400, 'BadRequest', message);
}

/** 403 `pods "x" is forbidden: <why>`. */
export function forbidden(gr: GroupResource, name: string, why: string): ApiError {
  const subject = name ? `${qualifiedResource(gr)} "${name}"` : qualifiedResource(gr);
  return failure(403, 'Forbidden', `${subject} is forbidden: ${why}`, grDetails(gr, name));
}

/** 405 for a verb the resource does not serve. */
export function methodNotAllowed(): ApiError {
  return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/** 415 UnsupportedMediaType with the message as given. */
export function unsupportedMediaType(message: string): ApiError {
  return failure(415, 'UnsupportedMediaType', message, {});
}

/** 406 NotAcceptable. */
export function notAcceptable(message: string): ApiError {
  return failure(406, 'NotAcceptable', message, {});
}

/** 410 Expired (compacted history, old continue tokens). */
export function expired(message: string): ApiError {
  return failure(410, 'Expired', message);
}

/** 413 `Request entity too large: <detail>`. */
export function entityTooLarge(detail: string): ApiError {
  return failure(413, 'RequestEntityTooLarge', `Request entity too large: ${detail}`);
}

/** 500 `Internal error occurred: <message>`. */
export function internalError(message: string): ApiError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** 500 with no reason: what upstream answers for an error that is not an API status (proxy failures). */
export function unknownError(message: string): ApiError {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 500 };
  return new ApiError(s);
}

/** 503 ServiceUnavailable (the datastore is down). */
export function serviceUnavailable(message: string): ApiError {
  return failure(503, 'ServiceUnavailable', message);
}

/** 401 Unauthorized, as for a request without valid credentials. */
export function unauthorized(): ApiError {
  return failure(401, 'Unauthorized', 'Unauthorized');
}
