// tests/browser/browser.mjs - Debian's chromium, headless, driven by the
// pinned npm playwright-core (1.61.1: the last release that runs on Debian
// 12's Node.js 18; README "Tests" says why this and not selenium). For a
// new browser test: tests/browser/NAME.mjs imports launchChromium, and
// tests/e2e/NAME.sh starts a daemon and runs `node tests/browser/NAME.mjs`
// (see lab_browser.sh); `make e2e` installs chromium and the npm tools.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// No sandbox: the tests run as root on a CI machine or in a chroot, where
// chromium's sandbox cannot start; the page is our own.
export function launchChromium(options = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    ...options,
  });
}
