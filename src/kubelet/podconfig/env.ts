// A container's environment exactly as upstream's kubelet builds it (k/k pkg/kubelet/kubelet_pods.go
// makeEnvironmentVariables, getServiceEnvVarMap; pkg/kubelet/envvars/envvars.go FromServices):
// envFrom first (later sources override earlier ones, optional sources may be missing), then
// env in order, each value `$(VAR)`-expanded against the variables declared so far and the
// service variables, or resolved from its source; then the service variables nobody declared.
// The error texts are upstream's, which the kubelet shows as CreateContainerConfigError.
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { containerResourceValue, findContainer, podFieldSelectorValue, type NodeAllocatable, type RuntimeAddresses } from './downward-api.js';
import { expand, mappingFor } from './expansion.js';

/** One environment variable of a container. */
export interface EnvVar {
  name: string;
  value: string;
}

/** A failure to build a container's config; `message` is upstream's text. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/** The outcome of reading a Secret or ConfigMap the env refers to. */
export type SourceLookup<T> = { found: true; object: T } | { found: false; notFound: true } | { found: false; notFound: false; message: string };

/** Reads the objects env vars refer to (the kubelet's secret and configmap managers). */
export interface EnvSources {
  /** The Secret `name` in the pod's namespace. */
  secret(name: string): Promise<SourceLookup<Secret>>;
  /** The ConfigMap `name` in the pod's namespace. */
  configMap(name: string): Promise<SourceLookup<ConfigMap>>;
}

/** Everything besides the pod and container that the environment depends on. */
export interface EnvContext extends RuntimeAddresses {
  sources: EnvSources;
  /** Service variables from {@link serviceEnvVarMap}. */
  serviceEnv: ReadonlyMap<string, string>;
  /** Default for limits the container leaves unset (resourceFieldRef). */
  node: NodeAllocatable;
}

function decodeSecretData(data: Record<string, string> | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(data ?? {})) m.set(k, Buffer.from(v, 'base64').toString('utf8'));
  return m;
}

/**
 * Builds the container's environment. Throws ContainerConfigError with upstream's message:
 * `secret "x" not found`, `configmap "x" not found`, `couldn't find key k in Secret ns/x`,
 * `couldn't find key k in ConfigMap ns/x`, or a downward API error.
 */
export async function makeEnvironmentVariables(pod: Pod, container: Container, ctx: EnvContext): Promise<EnvVar[]> {
  const ns = pod.metadata?.namespace ?? '';
  const secrets = new Map<string, Map<string, string>>();
  const configMaps = new Map<string, Map<string, string>>();

  // The secret/configmap managers answer NotFound as `<resource> "<name>" not found` with the
  // singular resource names they register (pkg/kubelet/secret, pkg/kubelet/configmap).
  const getSecret = async (name: string, optional: boolean): Promise<Map<string, string> | undefined> => {
    const cached = secrets.get(name);
    if (cached) return cached;
    const r = await ctx.sources.secret(name);
    if (!r.found) {
      if (r.notFound && optional) return undefined;
      throw new ContainerConfigError(r.notFound ? `secret "${name}" not found` : r.message);
    }
    const data = decodeSecretData(r.object.data);
    secrets.set(name, data);
    return data;
  };
  const getConfigMap = async (name: string, optional: boolean): Promise<Map<string, string> | undefined> => {
    const cached = configMaps.get(name);
    if (cached) return cached;
    const r = await ctx.sources.configMap(name);
    if (!r.found) {
      if (r.notFound && optional) return undefined;
      throw new ContainerConfigError(r.notFound ? `configmap "${name}" not found` : r.message);
    }
    const data = new Map(Object.entries(r.object.data ?? {}));
    configMaps.set(name, data);
    return data;
  };

  const tmpEnv = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Map<string, string> | undefined;
    if (from.configMapRef) data = await getConfigMap(from.configMapRef.name ?? '', from.configMapRef.optional === true);
    else if (from.secretRef) data = await getSecret(from.secretRef.name ?? '', from.secretRef.optional === true);
    for (const [k, v] of data ?? []) tmpEnv.set(prefix + k, v);
  }

  const mapping = mappingFor(tmpEnv, ctx.serviceEnv);
  for (const env of container.env ?? []) {
    let value = env.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (env.valueFrom) {
      const vf = env.valueFrom;
      try {
        if (vf.fieldRef) {
          value = podFieldSelectorValue(pod, vf.fieldRef.apiVersion, vf.fieldRef.fieldPath, ctx);
        } else if (vf.resourceFieldRef) {
          const target = vf.resourceFieldRef.containerName ? findContainer(pod, vf.resourceFieldRef.containerName) : container;
          value = containerResourceValue(vf.resourceFieldRef, target, ctx.node);
        } else if (vf.configMapKeyRef) {
          const { name = '', key, optional } = vf.configMapKeyRef;
          const data = await getConfigMap(name, optional === true);
          if (!data) continue;
          const v = data.get(key);
          if (v === undefined) {
            if (optional) continue;
            throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
          }
          value = v;
        } else if (vf.secretKeyRef) {
          const { name = '', key, optional } = vf.secretKeyRef;
          const data = await getSecret(name, optional === true);
          if (!data) continue;
          const v = data.get(key);
          if (v === undefined) {
            if (optional) continue;
            throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
          }
          value = v;
        }
      } catch (e) {
        if (e instanceof ContainerConfigError) throw e;
        throw new ContainerConfigError((e as Error).message);
      }
    }
    tmpEnv.set(env.name, value);
  }

  const result: EnvVar[] = [...tmpEnv].map(([name, value]) => ({ name, value }));
  const rest = [...ctx.serviceEnv.keys()].filter((k) => !tmpEnv.has(k)).sort();
  for (const k of rest) result.push({ name: k, value: ctx.serviceEnv.get(k) as string });
  return result;
}

/** `my-svc.x` -> `MY_SVC_X`, with `_` before a leading digit (makeEnvVariableName). */
export function envVariableName(s: string): string {
  const n = s.replace(/[.-]/g, '_').toUpperCase();
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The Docker-link style variables of some services (envvars.FromServices). */
export function fromServices(services: Service[]): EnvVar[] {
  const out: EnvVar[] = [];
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const ports = svc.spec?.ports ?? [];
    if (ports.length === 0) continue;
    const ip = svc.spec?.clusterIP as string;
    const prefix = envVariableName(svc.metadata?.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envVariableName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto = (p.protocol || 'TCP').toLowerCase();
      const url = `${proto}://${hostPort(ip, p.port)}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.push({ name: pp, value: url }, { name: `${pp}_PROTO`, value: proto }, { name: `${pp}_PORT`, value: String(p.port) }, { name: `${pp}_ADDR`, value: ip });
    });
  }
  return out;
}

/**
 * The service variables a pod in `namespace` sees (getServiceEnvVarMap): the `kubernetes`
 * Service of `default` always, and the namespace's own Services when enableServiceLinks is on.
 */
export function serviceEnvVarMap(services: Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const byName = new Map<string, Service>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    if (svc.metadata?.namespace === 'default' && name === 'kubernetes') {
      if (!byName.has(name)) byName.set(name, svc);
    } else if (svc.metadata?.namespace === namespace && enableServiceLinks) {
      byName.set(name, svc);
    }
  }
  return new Map(fromServices([...byName.values()]).map((e) => [e.name, e.value]));
}
