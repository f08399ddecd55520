// The REST API's one error class and Harbor's error body: {"errors":[{"code":..,"message":..}]}
// with Harbor's codes (harbor src/lib/errors/const.go) and their statuses.
import type { ServerResponse } from 'node:http';
import { MetaError } from '../meta/index.js';
import { sendJson } from '../auth/http-util.js';

/** Harbor's error codes berth answers with. */
export type ApiCode =
  | 'NOT_FOUND' | 'CONFLICT' | 'UNAUTHORIZED' | 'BAD_REQUEST' | 'FORBIDDEN' | 'METHOD_NOT_ALLOWED'
  | 'TOO_MANY_REQUEST' | 'PRECONDITION' | 'UNKNOWN' | 'DENIED' | 'UNPROCESSABLE_ENTITY' | 'REQUEST_ENTITY_TOO_LARGE';

const STATUS: Record<ApiCode, number> = {
  NOT_FOUND: 404, CONFLICT: 409, UNAUTHORIZED: 401, BAD_REQUEST: 400, FORBIDDEN: 403, METHOD_NOT_ALLOWED: 405,
  TOO_MANY_REQUEST: 429, PRECONDITION: 412, UNKNOWN: 500, DENIED: 403, UNPROCESSABLE_ENTITY: 422, REQUEST_ENTITY_TOO_LARGE: 413,
};

/** A failed API request; thrown by handlers and rendered once by the router. */
export class ApiError extends Error {
  constructor(readonly code: ApiCode, message: string) {
    super(message);
    this.name = 'ApiError';
  }

  /** The HTTP status of the code. */
  get status(): number {
    return STATUS[this.code];
  }
}

/** Converts anything thrown by a handler into an ApiError (unknown errors become a bare 500). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof MetaError) return new ApiError(e.code, e.message);
  return new ApiError('UNKNOWN', 'internal server error');
}

/** Writes Harbor's error body. */
export function sendError(res: ServerResponse, e: ApiError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, { errors: [{ code: e.code, message: e.message }] }, headers);
}
