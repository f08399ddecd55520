// containerd for the node agent: config rendering, the child process, preflight checks.
export {
  CLUSTER_CIDR, DEBIAN_CNI_BIN_DIR, containerdPaths, renderCniConflist, renderContainerdToml, renderHostsTomls,
  validatePodSubnet, writeContainerdConfig,
  type ContainerdConfigOptions, type ContainerdPaths, type RegistriesConfig, type RegistryHostConfig, type RegistryMirror,
  type RegistryTlsConfig,
} from './config.js';
export { ContainerdProcess, type ContainerdProcessOptions } from './process.js';
export { REQUIRED_CNI_PLUGINS, preflight, which, type PreflightEnv, type PreflightResult } from './preflight.js';
export { PAUSE_IMAGE, ensurePauseImage, pauseBinary, pauseImageArchive } from './pause-image.js';
