// The service proxy: ClusterIP and NodePort Services through the kernel's nat rules.
export { cleanupProxy, startProxy, type Proxy, type ProxyCleanupOptions, type ProxyOptions } from './proxy.js';
export { buildServicePorts, servicePortName, type ProxyEndpoint, type ServicePortInfo } from './service-map.js';
export { renderRules, type RuleInput } from './rules.js';
