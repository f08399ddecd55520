// The namespace controller's decisions for Terminating namespaces.
export { KUBERNETES_FINALIZER, planNamespaceDeletion, type NamespaceContent, type NamespaceDeletionPlan } from './deletion.js';
