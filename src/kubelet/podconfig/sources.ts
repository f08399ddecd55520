// Reads the Secrets and ConfigMaps a pod refers to, answering NotFound as a value (the kubelet's
// secret and configmap managers, which env vars and volumes share).
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import { isStatusCode, RESOURCES, type ApiObject, type Client } from '../../client/index.js';
import type { EnvSources, SourceLookup } from './env.js';

async function lookup<T>(client: Client, ref: (typeof RESOURCES)['secrets' | 'configmaps'], ns: string, name: string): Promise<SourceLookup<T>> {
  try {
    const object = await client.get<ApiObject>(ref, ns, name);
    return { found: true, object: object as unknown as T };
  } catch (e) {
    if (isStatusCode(e, 404)) return { found: false, notFound: true };
    return { found: false, notFound: false, message: (e as Error).message };
  }
}

/** Secret and ConfigMap lookups in one namespace through the API client. */
export function apiSources(client: Client, namespace: string): EnvSources {
  return {
    secret: (name) => lookup<Secret>(client, RESOURCES.secrets, namespace, name),
    configMap: (name) => lookup<ConfigMap>(client, RESOURCES.configmaps, namespace, name),
  };
}
