// The API client: what every component except the API server uses to reach it.
export {
  ApiStatusError, createClient, isStatusCode, loadKubeconfig, resourcePath, RESOURCES,
  type ApiList, type ApiObject, type Client, type ClientConfig, type ClientWatchEvent, type ListOptions,
  type PatchType, type ResourceRef, type WatchOptions,
} from './client.js';
export { objectKey, startInformer, type Informer, type InformerHandlers } from './informer.js';
export {
  createEventRecorder, involvedContainer, involvedObject, involvedPod, type EventRecorder, type EventSource, type InvolvedObject,
} from './events.js';
