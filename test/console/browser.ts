// Debian's Chromium driven by playwright-core for the console's tests and benchmark: headless,
// a fresh user-data dir per launch, and the flags that keep Chromium off the network (no
// component updates, sync, QUIC or background fetches). Every request the pages make is
// recorded, so a test can assert that nothing left the registry's origin.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (package chromium). */
export const CHROMIUM = '/usr/bin/chromium';

/** The flags that keep Chromium from reaching anything but the pages it is sent to. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Where browser tests save screenshots (a CI artifact): <repo>/test-artifacts/console. */
export const ARTIFACTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts', 'console');

/** A running Chromium with one context and page. */
export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Every URL requested by any page of the context, in order. */
  requests: string[];
  /** Saves a full-page screenshot as ARTIFACTS_DIR/<name>.png; returns the path. */
  screenshot(name: string): Promise<string>;
  /** Closes Chromium and removes its user-data dir. */
  close(): Promise<void>;
}

/** Why Chromium cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (Debian package chromium)`;
}

/**
 * Launches Chromium with a fresh user-data dir. `ignoreHTTPSErrors` because the registry's
 * certificate comes from its own CA, which this throwaway profile does not trust.
 */
export async function launchBrowser(opts: { width?: number; height?: number } = {}): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'berth-chromium-'));
  const requests: string[] = [];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, ignoreHTTPSErrors: true,
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, acceptDownloads: false,
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context, page, requests,
    async screenshot(name) {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
