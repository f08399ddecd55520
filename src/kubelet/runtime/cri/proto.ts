// Loads api.proto (our subset of CRI runtime.v1) once. The file sits beside this module in the
// source tree; a build in dist/ reads it from the source tree, since tsc copies no .proto files.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const CANDIDATES = [
  new URL('./api.proto', import.meta.url),
  new URL('../../../../src/kubelet/runtime/cri/api.proto', import.meta.url),
];

/** Decoding choices: camelCase fields, enums as names, 64-bit integers as decimal strings. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false, longs: String, enums: String, defaults: true, arrays: true, objects: true, oneofs: true,
};

let cached: grpc.GrpcObject | undefined;

/** The gRPC package object of `runtime.v1`, holding `RuntimeService` and `ImageService`. */
export function criPackage(): { RuntimeService: grpc.ServiceClientConstructor; ImageService: grpc.ServiceClientConstructor } {
  if (!cached) {
    const file = CANDIDATES.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
    if (!file) throw new Error('CRI api.proto not found beside the kubelet runtime module');
    cached = grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER_OPTIONS));
  }
  const v1 = (cached.runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
  return {
    RuntimeService: v1.RuntimeService as grpc.ServiceClientConstructor,
    ImageService: v1.ImageService as grpc.ServiceClientConstructor,
  };
}
