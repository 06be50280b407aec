// Headless Chromium for the browser tests: Debian's `chromium` package (no browser download is
// possible here), installed on first use, driven by puppeteer-core.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { repoRoot } from '@qoslab/native-stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write('browser: installing Debian\'s chromium (once)…\n');
    execFileSync('bash', ['-c', 'SCRIPT_NAME=browser; source scaffolding/images/lib.sh; apt_install chromium'], { cwd: repoRoot, stdio: 'inherit' });
  }
  // root in CI: Chromium's sandbox needs an unprivileged user namespace it may not get here.
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/**
 * Where a test's screenshots go: .run/screenshots, or docs/images with QOSLAB_UPDATE_PICTURES=1
 * (that is how the pictures in the README and docs are made).
 */
export function screenshotPath(name: string): string {
  const dir = process.env.QOSLAB_UPDATE_PICTURES ? join(repoRoot, 'docs', 'images') : join(repoRoot, '.run', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}
