// gRPC status -> RuntimeError, the one translation point of the runtime layer.
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { RuntimeError, type RuntimeErrorCode } from '../types.js';

// Go's codes.Code String() names (google.golang.org/grpc/codes/code_string.go), which is what
// upstream's `rpc error: code = X desc = Y` messages carry.
const GO_CODE_NAMES: Record<number, string> = {
  [GrpcStatus.OK]: 'OK',
  [GrpcStatus.CANCELLED]: 'Canceled',
  [GrpcStatus.UNKNOWN]: 'Unknown',
  [GrpcStatus.INVALID_ARGUMENT]: 'InvalidArgument',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [GrpcStatus.NOT_FOUND]: 'NotFound',
  [GrpcStatus.ALREADY_EXISTS]: 'AlreadyExists',
  [GrpcStatus.PERMISSION_DENIED]: 'PermissionDenied',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [GrpcStatus.FAILED_PRECONDITION]: 'FailedPrecondition',
  [GrpcStatus.ABORTED]: 'Aborted',
  [GrpcStatus.OUT_OF_RANGE]: 'OutOfRange',
  [GrpcStatus.UNIMPLEMENTED]: 'Unimplemented',
  [GrpcStatus.INTERNAL]: 'Internal',
  [GrpcStatus.UNAVAILABLE]: 'Unavailable',
  [GrpcStatus.DATA_LOSS]: 'DataLoss',
  [GrpcStatus.UNAUTHENTICATED]: 'Unauthenticated',
};

const OUR_CODES: Record<number, RuntimeErrorCode> = {
  [GrpcStatus.CANCELLED]: 'Canceled',
  [GrpcStatus.INVALID_ARGUMENT]: 'InvalidArgument',
  [GrpcStatus.OUT_OF_RANGE]: 'InvalidArgument',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [GrpcStatus.NOT_FOUND]: 'NotFound',
  [GrpcStatus.ALREADY_EXISTS]: 'AlreadyExists',
  [GrpcStatus.PERMISSION_DENIED]: 'PermissionDenied',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [GrpcStatus.FAILED_PRECONDITION]: 'FailedPrecondition',
  [GrpcStatus.ABORTED]: 'FailedPrecondition',
  [GrpcStatus.UNIMPLEMENTED]: 'Unimplemented',
  [GrpcStatus.INTERNAL]: 'Internal',
  [GrpcStatus.DATA_LOSS]: 'Internal',
  [GrpcStatus.UNAVAILABLE]: 'Unavailable',
  [GrpcStatus.UNAUTHENTICATED]: 'Unauthenticated',
};

/**
 * Turns whatever a gRPC call rejected with into a RuntimeError whose message is Go's rendering
 * (`rpc error: code = NotFound desc = ...`), so events quote the runtime as upstream does.
 */
export function fromGrpcError(e: unknown): RuntimeError {
  if (e instanceof RuntimeError) return e;
  const se = e as Partial<ServiceError>;
  if (typeof se?.code === 'number') {
    const details = se.details ?? '';
    const goName = GO_CODE_NAMES[se.code] ?? `Code(${se.code})`;
    return new RuntimeError(OUR_CODES[se.code] ?? 'Unknown', details, `rpc error: code = ${goName} desc = ${details}`);
  }
  return new RuntimeError('Unknown', e instanceof Error ? e.message : String(e));
}
