// The machine-wide parts of the node network: one service proxy and one cluster DNS server per
// machine (every node of a `berth up` shares the host's network namespace), and their cleanup for
// `berth down`.
import type { Client } from '../client/index.js';
import type { Logger } from '../common/log.js';
import { cleanupDns, startDns } from '../dns/index.js';
import { cleanupProxy, startProxy } from '../proxy/index.js';
import { CLUSTER_DNS, CLUSTER_DOMAIN } from './node.js';
import type { Component } from './supervisor.js';

/** The cluster's pod and service networks (DESIGN.md defaults). */
export const CLUSTER_CIDR = '10.42.0.0/16';
export const SERVICE_CIDR = '10.43.0.0/16';
const DNS_LISTEN = [{ host: CLUSTER_DNS, port: 53 }];

/** The proxy and DNS components; `client` is read when they start. */
export function networkComponents(opts: { client: () => Client; nodeIPs: string[]; log: Logger }): Component[] {
  return [
    {
      name: 'service proxy',
      async start() {
        const proxy = await startProxy({
          client: opts.client(), nodeIPs: opts.nodeIPs, clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR,
          log: opts.log.child({ component: 'proxy' }),
        });
        await proxy.sync();
        return { stop: async () => proxy.stop() };
      },
    },
    {
      name: 'cluster DNS',
      async start() {
        const dns = await startDns({ client: opts.client(), listen: DNS_LISTEN, domain: CLUSTER_DOMAIN, log: opts.log.child({ component: 'dns' }) });
        return { stop: () => dns.stop() };
      },
    },
  ];
}

/** Removes the proxy's rules and routes and the DNS address (berth down). */
export async function cleanupNetwork(log: Logger): Promise<void> {
  await cleanupProxy({ clusterCIDR: CLUSTER_CIDR, serviceCIDR: SERVICE_CIDR }).catch((e: Error) => log.warn({ err: e.message }, 'proxy cleanup failed'));
  await cleanupDns({ listen: DNS_LISTEN }).catch((e: Error) => log.warn({ err: e.message }, 'dns cleanup failed'));
}
