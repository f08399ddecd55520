// Pull credentials as upstream's kubelet finds them: the pod's imagePullSecrets, then the node's
// docker config and registries.yaml, searched by keyring matching.
export {
  AUTH_FIELD_ERROR, decodeAuthField, decodeGoBase64, parseDockerConfigJson, parseDockercfg,
  type DockerConfig, type DockerConfigEntry,
} from './docker-config.js';
export {
  BasicKeyring, DEFAULT_REGISTRY_KEY, DOCKERCFG_KEY, DOCKER_CONFIG_JSON_KEY, SECRET_TYPE_DOCKERCFG, SECRET_TYPE_DOCKER_CONFIG_JSON,
  UnionKeyring, isDefaultRegistryMatch, keyringKey, makePodKeyring, urlsMatch,
  type Credential, type Keyring, type PullSecret, type SecretCoordinates,
} from './keyring.js';
export {
  NODE_CONFIG_CACHE_MS, NodeKeyring, dockerConfigJsonPaths, dockercfgPaths, readNodeDockerConfig, registriesAuthConfig,
  type NodeCredentialSources,
} from './node-keyring.js';
