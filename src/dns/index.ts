// Cluster DNS: the cluster.local zone from Services and EndpointSlices, as CoreDNS serves it.
export { cleanupDns, hostNameservers, startDns, type Dns, type DnsListen, type DnsOptions } from './server.js';
export { ClusterZone, RECORD_TTL, type ZoneAnswer, type ZoneRecord } from './records.js';
