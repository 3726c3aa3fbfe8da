// The dashboard (GET /__ablauf/) in Debian's headless Chromium, driven by
// playwright-core against the real server: start an instance from the form,
// follow its live progress, control it, and keep a screenshot for review.
import { inject, describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = inject('baseUrl');
const CHROMIUM = '/usr/bin/chromium';
const WAIT = { timeout: 30000 };

let browser;
let page;
const pageErrors = [];

async function post(path, body) {
  const res = await fetch(`${base}/__ablauf${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? null),
  });
  return res.json();
}

const text = (sel) => page.locator(sel).textContent();

describe('dashboard in headless Chromium', () => {
  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run bash scripts/ensure-chromium.sh`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (d) => d.accept());
    await page.goto(`${base}/__ablauf/`);
    await page.waitForSelector('body[data-ready="true"]', WAIT);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('lists the registered types in the start form', async () => {
    const options = await page.locator('#start-type option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['echo', 'live-progress', 'sse-test']));
  });

  it('starts live-progress from the form and shows its live progress up to completion', async () => {
    const id = `dash-${process.pid}-${Date.now()}`;
    await page.selectOption('#start-type', 'live-progress');
    await page.fill('#start-id', id);
    await page.fill('#start-payload', '{"steps": 20}');
    await page.click('#start-submit');

    // The new instance is selected and listed.
    await page.waitForFunction((i) => document.querySelector('#detail-id').textContent === i, id, WAIT);
    await page.waitForFunction(() => document.querySelector('#detail-status').textContent === 'waiting', null, WAIT);
    await page.locator(`[data-testid="instance-row"][data-id="${id}"]`).waitFor(WAIT);
    await page.waitForFunction(() => document.querySelector('#live-state').dataset.state === 'live', null, WAIT);

    await page.fill('#event-name', 'go');
    await page.fill('#event-payload', '{}');
    await page.click('#event-submit');

    await page.waitForFunction(() => document.querySelector('#live-progress-label').textContent === 'step 20 / 20', null, WAIT);
    await page.waitForFunction(() => document.querySelector('#detail-status').textContent === 'completed', null, WAIT);
    await page.waitForFunction(() => document.querySelector('#live-state').dataset.state === 'ended', null, WAIT);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="step-row"]').length === 21, null, WAIT);

    const progress = page.locator('#live-progress');
    expect(await progress.evaluate((el) => [el.value, el.max])).toEqual([20, 20]);
    // The log holds the persisted updates in seq order, ending with done.
    const seqs = await page.locator('[data-testid="log-entry"]').evaluateAll(
      (els) => els.map((e) => e.dataset.seq).filter(Boolean).map(Number));
    expect(seqs).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    const last = page.locator('[data-testid="log-entry"]').last();
    expect(await last.getAttribute('data-event')).toBe('done');
    expect(await last.textContent()).toContain('{"total":20}');
    expect(await page.locator('[data-testid="timeline-row"]').count()).toBe(20);
    expect(await page.locator('[data-testid="step-row"][data-step="work-20"]').getAttribute('data-status')).toBe('completed');
    expect(await text('#detail-result')).toContain('"total": 20');

    mkdirSync('build', { recursive: true });
    await page.screenshot({ path: 'build/dashboard.png', fullPage: true });
  });

  it('pauses, resumes and terminates the selected instance with the buttons', async () => {
    const id = `dash-ctl-${process.pid}-${Date.now()}`;
    await post('/workflows', { type: 'live-progress', id, payload: { steps: 3 } });
    await page.click('#refresh');
    await page.locator(`[data-testid="instance-row"][data-id="${id}"]`).click();
    await page.waitForFunction((i) => document.querySelector('#detail-id').textContent === i
      && document.querySelector('#detail-status').textContent === 'waiting', id, WAIT);

    await page.click('#btn-pause');
    await page.waitForFunction(() => document.querySelector('#detail-status').textContent === 'paused', null, WAIT);
    await page.click('#btn-resume');
    await page.waitForFunction(() => document.querySelector('#detail-status').textContent === 'waiting', null, WAIT);
    await page.click('#btn-terminate');
    await page.waitForFunction(() => document.querySelector('#detail-status').textContent === 'terminated', null, WAIT);
    await page.waitForFunction(() => document.querySelector('#live-state').dataset.state === 'ended', null, WAIT);
    expect(await page.locator('#btn-terminate').isDisabled()).toBe(true);
  });

  it('filters the list by status and shows API errors in the banner', async () => {
    await page.selectOption('#filter-status', 'terminated');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="instance-row"]')];
      return rows.length > 0 && rows.every((r) => r.dataset.status === 'terminated');
    }, null, WAIT);
    await page.selectOption('#filter-status', '');

    // Sending an event to a terminated instance is refused (409).
    await page.fill('#event-name', 'go');
    await page.evaluate(() => { document.querySelector('#event-submit').disabled = false; });
    await page.click('#event-submit');
    await page.waitForFunction(() => document.querySelector('#banner').textContent.includes('WORKFLOW_NOT_RUNNING'), null, WAIT);
  });

  it('keeps the API token in localStorage', async () => {
    await page.fill('#token', 'dev-token');
    await page.click('#token-save');
    expect(await page.evaluate(() => localStorage.getItem('ablauf.token'))).toBe('dev-token');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', WAIT);
    expect(await page.inputValue('#token')).toBe('dev-token');
    await page.fill('#token', '');
    await page.click('#token-save');
    expect(await page.evaluate(() => localStorage.getItem('ablauf.token'))).toBe(null);
    expect(pageErrors).toEqual([]);
  });
});
