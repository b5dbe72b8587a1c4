// Headless Chromium for the report checks (report.test.mjs) and the report benchmark
// (benches/report_tti.mjs): Debian's /usr/bin/chromium driven by playwright-core.
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Without the background-networking flags Chromium phones home (component updates,
// safe browsing, sync), which a closed network refuses and which has no place in a test.
export const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium with a fresh profile (playwright gives every launch its own). */
export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found (apt-get install -y chromium, or set CHROMIUM)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}
