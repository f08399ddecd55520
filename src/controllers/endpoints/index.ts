// The endpoints and endpointslice controllers' decisions as pure functions.
export {
  ENDPOINTS_MAX_CAPACITY, HEADLESS_LABEL, MANAGED_BY, MANAGED_BY_LABEL, MAX_ENDPOINTS_PER_SLICE, OVER_CAPACITY_ANNOTATION,
  SERVICE_NAME_LABEL, computeEndpointSlices, computeEndpoints, findPort, podToEndpoint, shouldPodBeInEndpoints,
} from './endpoints.js';
