import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/*
 * The browser tests drive Debian's chromium through playwright-core (no browser download: the
 * machines install chromium with apt-get; .ci/run does it when it is missing).
 */

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH names ${configured}, which does not exist.`);
    return configured;
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'The dashboard browser tests need Chromium and found none at ' +
        `${CANDIDATES.join(', ')}. Install it with: sudo apt-get update && sudo apt-get install -y chromium ` +
        '(.ci/run does this on CI), or point CHROMIUM_PATH at a Chromium or Chrome binary.',
    );
  }
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root on CI and in containers: Chromium's sandbox needs user namespaces it may not have there.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
