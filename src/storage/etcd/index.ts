// EtcdStore's public face.
export { EtcdStore, mapEtcdError, type EtcdStoreOptions } from './etcd-store.js';
