// The API server's patch engines: pure functions over decoded JSON, one per PATCH content type.
//   application/strategic-merge-patch+json  applyStrategicMergePatch
//   application/merge-patch+json            applyMergePatch
//   application/json-patch+json             applyJsonPatch
// Each throws PatchError, which carries the HTTP code, reason and message for the Status.
export { applyStrategicMergePatch } from './strategic-merge.js';
export { applyMergePatch } from './merge-patch.js';
export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
export { PatchError, type PatchErrorStatus } from './errors.js';
