// The node's own credentials: the docker config file upstream's default provider finds
// (k/k pkg/credentialprovider/config.go, provider.go) and the `configs.*.auth` of berth's
// registries.yaml (k3s's schema). Cached for 5 minutes, as upstream caches the config file.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RegistriesConfig } from '../containerd/config.js';
import { decodeAuthField, parseDockerConfigJson, parseDockercfg, type DockerConfig } from './docker-config.js';
import { BasicKeyring, type Credential, type Keyring } from './keyring.js';

/** How long the node's config file is cached (provider.go: 5 minutes). */
export const NODE_CONFIG_CACHE_MS = 5 * 60 * 1000;

/** Where to look, and how; defaults are the real process. */
export interface NodeCredentialSources {
  /** The kubelet root dir (the agent's data dir), searched first. */
  rootDir: string;
  /** The working directory; default process.cwd(). */
  cwd?: string;
  /** $HOME; default os.homedir(). */
  home?: string;
  /** The parsed --registry-config, whose `configs.<host>.auth` become node credentials. */
  registries?: RegistriesConfig;
  /** Reads a file, undefined when absent; default fs. */
  readFile?: (path: string) => string | undefined;
}

/** config.json search dirs in upstream's order: root dir, working dir, $HOME/.docker, /.docker. */
export function dockerConfigJsonPaths(src: NodeCredentialSources): string[] {
  const cwd = src.cwd ?? process.cwd();
  const home = src.home ?? homedir();
  return [src.rootDir, cwd, join(home, '.docker'), join('/', '.docker')].map((d) => resolve(d, 'config.json'));
}

/** Legacy .dockercfg search paths: root dir, working dir, $HOME, /. */
export function dockercfgPaths(src: NodeCredentialSources): string[] {
  const cwd = src.cwd ?? process.cwd();
  const home = src.home ?? homedir();
  return [src.rootDir, cwd, home, '/'].map((d) => resolve(d, '.dockercfg'));
}

function defaultRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * ReadDockerConfigFile: the first config.json that exists and parses, else the first legacy
 * .dockercfg that does; unreadable or invalid files are skipped. Returns the file used.
 */
export function readNodeDockerConfig(src: NodeCredentialSources): { path?: string; config: DockerConfig } {
  const read = src.readFile ?? defaultRead;
  for (const [paths, parse] of [[dockerConfigJsonPaths(src), parseDockerConfigJson], [dockercfgPaths(src), parseDockercfg]] as const) {
    for (const p of paths) {
      const text = read(p);
      if (text === undefined) continue;
      try {
        return { path: p, config: parse(text) };
      } catch {
        // Upstream logs at V(4) and moves on to the next location.
      }
    }
  }
  return { config: [] };
}

/**
 * registries.yaml credentials as docker config entries: each `configs.<host>.auth` under its host,
 * and, for a mirrored registry, each endpoint's credentials also under the registry's own name,
 * since the kubelet looks credentials up by the image's registry and containerd then uses them
 * on that endpoint. An `auth` field that does not decode is skipped.
 */
export function registriesAuthConfig(reg: RegistriesConfig | undefined): DockerConfig {
  const out: DockerConfig = [];
  const configs = reg?.configs ?? {};
  const credFor = (host: string): Credential | undefined => {
    const a = configs[host]?.auth;
    if (!a) return undefined;
    if (a.auth) {
      try {
        return { ...decodeAuthField(a.auth), email: '' };
      } catch {
        return undefined;
      }
    }
    if (a.username === undefined && a.password === undefined) return undefined;
    return { username: a.username ?? '', password: a.password ?? '', email: '' };
  };
  for (const host of Object.keys(configs)) {
    const c = credFor(host);
    if (c) out.push([host, c]);
  }
  for (const [registry, mirror] of Object.entries(reg?.mirrors ?? {})) {
    if (configs[registry]?.auth) continue;
    for (const ep of mirror.endpoint ?? []) {
      let host: string;
      try {
        host = new URL(/^[a-z]+:\/\//.test(ep) ? ep : `https://${ep}`).host;
      } catch {
        continue;
      }
      const c = credFor(host);
      if (c) out.push([registry, c]);
    }
  }
  return out;
}

/**
 * The node keyring: the docker config file, then registries.yaml credentials, in one basic
 * keyring, re-read at most every 5 minutes. `now` is injected for tests.
 */
export class NodeKeyring implements Keyring {
  private cached: { at: number; ring: BasicKeyring } | undefined;

  /** Reads nothing until the first lookup. */
  constructor(private readonly src: NodeCredentialSources, private readonly now: () => number = Date.now) {}

  private ring(): BasicKeyring {
    const t = this.now();
    if (!this.cached || t - this.cached.at >= NODE_CONFIG_CACHE_MS) {
      const ring = new BasicKeyring().add(readNodeDockerConfig(this.src).config).add(registriesAuthConfig(this.src.registries));
      this.cached = { at: t, ring };
    }
    return this.cached.ring;
  }

  /** {@inheritDoc Keyring.lookup} */
  lookup(repository: string): Credential[] {
    return this.ring().lookup(repository);
  }
}
