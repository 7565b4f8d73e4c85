/**
 * Pages in a real browser for the tests: Debian's Chromium, driven by playwright-core. A test that
 * needs it skips with the reason where no Chromium is installed (.ci/run installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.GRADLAB_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Skips the running test, saying why, when there is no Chromium to run it in. */
export function skipWithoutChromium(ctx: { skip: (note?: string) => void }): void {
  if (existsSync(CHROMIUM)) return;
  const why = `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium, as .ci/run does) to run this test`;
  console.warn(`SKIPPED: ${why}`);
  ctx.skip(why);
}

/** What a page did besides rendering: requests for anything but local files, and script errors. */
export interface PageLog { fetched: string[]; errors: string[] }

/** Opens a local HTML file in headless Chromium, hands the tab to `use`, and closes the browser. */
export async function inChromium<T>(file: string, use: (tab: Page, log: PageLog) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(path.join(tmpdir(), 'gradlab-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const tab = await browser.newPage();
    const log: PageLog = { fetched: [], errors: [] };
    tab.on('request', (r) => { if (!r.url().startsWith('file:')) log.fetched.push(r.url()); });
    tab.on('pageerror', (e) => log.errors.push(e.message));
    await tab.goto(`file://${file}`);
    return await use(tab, log);
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
