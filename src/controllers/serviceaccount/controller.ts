// The serviceaccount controller (pkg/controller/serviceaccount: every active namespace has a
// `default` ServiceAccount) and the root-ca publisher (pkg/controller/certificates/rootcacertpublisher:
// every namespace has the `kube-root-ca.crt` ConfigMap holding the cluster CA). The API server
// creates both when a namespace is created; these controllers restore them when deleted or
// changed, and creating one that already exists (409) is success, so both writers coexist.
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { isStatusCode, RESOURCES, type ApiObject } from '../../client/index.js';
import { startQueue, type ControllerContext, type RunningController } from '../context.js';

/** The ServiceAccount every namespace gets. */
export const DEFAULT_SERVICE_ACCOUNT = 'default';
/** The CA ConfigMap's name and key. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** rootcacertpublisher's description annotation. */
export const ROOT_CA_DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

const active = (ns: (ApiObject & Namespace) | undefined): boolean => !!ns && !ns.metadata.deletionTimestamp && ns.status?.phase !== 'Terminating';

/** Starts the serviceaccount controller. */
export function startServiceAccountController(ctx: ControllerContext): RunningController {
  const nsInformer = ctx.informers.for<ApiObject & Namespace>(RESOURCES.namespaces);
  const saInformer = ctx.informers.for(RESOURCES.serviceaccounts);
  const sync = async (namespace: string): Promise<void> => {
    if (!active(nsInformer.get('', namespace)) || saInformer.get(namespace, DEFAULT_SERVICE_ACCOUNT)) return;
    try {
      await ctx.client.create(RESOURCES.serviceaccounts, namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } });
    } catch (e) {
      // 409: it exists (the API server made it); 403/404: the namespace is terminating or gone.
      if (!isStatusCode(e, 409) && !isStatusCode(e, 403) && !isStatusCode(e, 404)) throw e;
    }
  };
  const q = startQueue(ctx, 'serviceaccount', sync);
  nsInformer.addHandlers({ onAdd: (ns) => q.queue.add(String(ns.metadata.name)), onUpdate: (_o, ns) => q.queue.add(String(ns.metadata.name)) });
  saInformer.addHandlers({ onDelete: (sa) => { if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT) q.queue.add(String(sa.metadata.namespace)); } });
  return { stop: () => q.stop() };
}

/** Starts the root CA publisher; the CA is the one the client trusts (the cluster CA). */
export function startRootCaPublisher(ctx: ControllerContext): RunningController {
  const caPem = ctx.client.config.caPem;
  const nsInformer = ctx.informers.for<ApiObject & Namespace>(RESOURCES.namespaces);
  const cmInformer = ctx.informers.for<ApiObject & ConfigMap>(RESOURCES.configmaps);
  const sync = async (namespace: string): Promise<void> => {
    if (!active(nsInformer.get('', namespace))) return;
    const cm = cmInformer.get(namespace, ROOT_CA_CONFIGMAP);
    const data = { 'ca.crt': caPem };
    try {
      if (!cm) {
        await ctx.client.create(RESOURCES.configmaps, namespace, {
          apiVersion: 'v1', kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } },
          data,
        });
      } else if (cm.data?.['ca.crt'] !== caPem || Object.keys(cm.data ?? {}).length !== 1 || cm.metadata.annotations?.['kubernetes.io/description'] !== ROOT_CA_DESCRIPTION) {
        await ctx.client.update(RESOURCES.configmaps, { ...cm, data, metadata: { ...cm.metadata, annotations: { ...(cm.metadata.annotations ?? {}), 'kubernetes.io/description': ROOT_CA_DESCRIPTION } } });
      }
    } catch (e) {
      if (!isStatusCode(e, 409) && !isStatusCode(e, 403) && !isStatusCode(e, 404)) throw e;
    }
  };
  const q = startQueue(ctx, 'root-ca-cert-publisher', sync);
  nsInformer.addHandlers({ onAdd: (ns) => q.queue.add(String(ns.metadata.name)), onUpdate: (_o, ns) => q.queue.add(String(ns.metadata.name)) });
  const onCm = (cm: ApiObject): void => { if (cm.metadata.name === ROOT_CA_CONFIGMAP) q.queue.add(String(cm.metadata.namespace)); };
  cmInformer.addHandlers({ onUpdate: (_o, cm) => onCm(cm), onDelete: onCm });
  return { stop: () => q.stop() };
}
