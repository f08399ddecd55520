// The real implementations behind the API server's seams, assembled once: built-in strategies,
// the OpenAPI service, protobuf decoding, selectors and the three patch flavours. `berth server`
// and `berth up` spread this into startApiServer's options.
import { builtinStrategies } from './resources/index.js';
import { createOpenApi } from './openapi/index.js';
import { decodeKubernetesProtobuf } from './protobuf/index.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from './patch/index.js';
import { selectorFilters } from './filters.js';
import type { ApiServerOptions } from './index.js';

/** The modules startApiServer needs besides its data dir, address, store and logger. */
export type ServerModules = Pick<ApiServerOptions, 'strategies' | 'patch' | 'filters' | 'openapi' | 'decodeProtobuf'>;

/** Builds the production modules. */
export function defaultServerModules(): ServerModules {
  const strategies = builtinStrategies();
  const openapi = createOpenApi(strategies);
  return {
    strategies,
    openapi,
    decodeProtobuf: decodeKubernetesProtobuf,
    filters: selectorFilters,
    patch: {
      strategic: (original, patch, group, version, kind) => applyStrategicMergePatch(original, patch, openapi.schemaFor(group, version, kind)),
      merge: (original, patch) => applyMergePatch(original, patch),
      json: (original, patch) => applyJsonPatch(original, patch),
      isPatchError: (e) => e instanceof PatchError,
    },
  };
}
