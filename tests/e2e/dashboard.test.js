// The dashboard (GET /__ablauf/) in Debian's headless Chromium, driven by
// playwright-core against the real server: start an instance from the form,
// follow its live progress, control it, and keep a screenshot for review.
import { inject, describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const base = inject('baseUrl');
const CHROMIUM = '/usr/bin/chromium';
const WAIT = { timeout: 30000 };

let browser;
let page;
const pageErrors = [];
let http; // a real HTTP server for the fetch steps: answers after ~300 ms with JSON
let origin;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls GET /workflows/{id} until the instance is no longer running. */
async function rest(id) {
  for (const until = Date.now() + 30000; Date.now() < until; await sleep(200)) {
    const st = await (await fetch(`${base}/__ablauf/workflows/${encodeURIComponent(id)}`)).json();
    if (st.status !== 'running' && st.status !== 'sleeping') return st;
  }
  throw new Error(`${id} did not come to rest`);
}

/** Opens one instance in the dashboard and waits until its steps are shown. */
async function openInstance(id, steps) {
  await page.goto(`${base}/__ablauf/#/wf/${encodeURIComponent(id)}`);
  await page.waitForSelector('body[data-ready="true"]', WAIT);
  await page.waitForFunction(([i, n]) => document.querySelector('#detail-id').textContent === i
    && document.querySelectorAll('[data-testid="step-row"]').length === n
    && document.querySelectorAll('[data-testid="timeline-row"]').length === n, [id, steps], WAIT);
}

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
    http = createServer((req, res) => setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    }, req.url.startsWith('/hold') ? 4000 : 300));
    await new Promise((r) => http.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${http.address().port}`;
    page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (d) => d.accept());
    await page.goto(`${base}/__ablauf/`);
    await page.waitForSelector('body[data-ready="true"]', WAIT);
  });

  afterAll(async () => {
    await browser?.close();
    if (http) await new Promise((r) => http.close(r));
  });

  it('comes over HTTP gzipped to a client that accepts gzip, and plain to one that does not', async () => {
    const { request } = await import('node:http');
    const { gunzipSync } = await import('node:zlib');
    const get = (path, headers) => new Promise((resolve, reject) => {
      request(`${base}${path}`, { headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    for (const [path, marker] of [['/__ablauf/', '<title>Ablauf dashboard</title>'], ['/__ablauf/client.js', 'createAblaufClient']]) {
      const plain = await get(path, {});
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.bytes.toString('utf8')).toContain(marker);
      const zipped = await get(path, { 'accept-encoding': 'gzip' });
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(zipped.bytes).toString('utf8')).toBe(plain.bytes.toString('utf8'));
    }
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
    // Enable and click in one go: a late refresh of the ended instance disables the button again.
    await page.evaluate(() => {
      const button = document.querySelector('#event-submit');
      button.disabled = false;
      button.click();
    });
    await page.waitForFunction(() => document.querySelector('#banner').textContent.includes('WORKFLOW_NOT_RUNNING'), null, WAIT);
  });

  it('shows parallel fetch steps with method, url and status, overlapping on the timeline', async () => {
    const id = `dash-par-${process.pid}-${Date.now()}`;
    const urls = [0, 1, 2].map((i) => `${origin}/par/${i}?q=${i}`);
    await post('/workflows', { type: 'http-parallel', id, payload: { urls } });
    expect((await rest(id)).status).toBe('completed');
    await openInstance(id, 3);

    const io = await page.locator('[data-testid="step-io"]').evaluateAll((els) => els.map((e) => ({
      step: e.dataset.step,
      method: e.querySelector('[data-testid="step-method"]')?.textContent,
      url: e.querySelector('[data-testid="step-url"]')?.textContent,
      status: e.querySelector('[data-testid="step-http-status"]')?.textContent,
    })));
    expect(io).toEqual(urls.map((url, i) => ({ step: `get-${i}`, method: 'GET', url, status: 'HTTP 200' })));
    for (let i = 0; i < 3; i++) {
      const row = page.locator(`[data-testid="step-row"][data-step="get-${i}"]`);
      expect(await row.getAttribute('data-status')).toBe('completed');
      expect(await row.locator('[data-testid="step-type"]').textContent()).toBe('fetch');
    }

    // Each step has its own row, and the three bars overlap on the shared axis.
    const boxes = [];
    for (let i = 0; i < 3; i++) {
      const bar = page.locator(`[data-testid="timeline-row"][data-step="get-${i}"] .tl-bar`);
      expect(await page.locator(`[data-testid="timeline-row"][data-step="get-${i}"]`).getAttribute('data-type')).toBe('fetch');
      boxes.push(await bar.boundingBox());
    }
    for (const b of boxes) expect(b.width).toBeGreaterThan(20);
    expect(new Set(boxes.map((b) => b.y)).size).toBe(3);
    const lastStart = Math.max(...boxes.map((b) => b.x));
    const firstEnd = Math.min(...boxes.map((b) => b.x + b.width));
    expect(lastStart).toBeLessThan(firstEnd);
    await page.screenshot({ path: 'build/dashboard-io.png', fullPage: true });
  });

  it('draws a step still out as running up to now, then updates it when it completes', async () => {
    const id = `dash-open-${process.pid}-${Date.now()}`;
    const created = post('/workflows', { type: 'http-parallel', id, payload: { urls: [`${origin}/par/q`, `${origin}/hold`] } });
    for (const until = Date.now() + 10000; ; await sleep(100)) {
      const st = await (await fetch(`${base}/__ablauf/workflows/${id}`)).json();
      if (st.steps?.[0]?.status === 'completed' && st.steps[1]?.status === 'running') break;
      if (Date.now() > until) throw new Error(`not half done: ${JSON.stringify(st)}`);
    }
    await sleep(700);
    await openInstance(id, 2);
    const held = page.locator('[data-testid="timeline-row"][data-step="get-1"] .tl-bar');
    expect(await held.getAttribute('class')).toContain('open');
    expect(await page.locator('[data-testid="timeline-row"][data-step="get-1"]').textContent()).toContain('still running');
    const quick = await page.locator('[data-testid="timeline-row"][data-step="get-0"] .tl-bar').boundingBox();
    expect((await held.boundingBox()).width).toBeGreaterThan(quick.width * 2); // 300 ms against > 1 s so far
    expect(await page.locator('[data-testid="step-io"][data-step="get-1"] [data-testid="step-http-status"]').count()).toBe(0);

    await created;
    // auto-refresh picks up the completion
    await page.waitForFunction(() => document.querySelector('#detail-status').textContent === 'completed', null, WAIT);
    expect(await held.getAttribute('class')).not.toContain('open');
    expect(await page.locator('[data-testid="step-io"][data-step="get-1"] [data-testid="step-http-status"]').textContent()).toBe('HTTP 200');
  });

  it('shows a fetch step\'s headers with placeholders as stored, never as HTML, and its error', async () => {
    const id = `dash-secret-${process.pid}-${Date.now()}`;
    const url = `${origin}/secret?x=<b>1</b>`;
    const headers = { authorization: 'Bearer {{DEMO_SECRET}}', 'x-note': '<img src=x onerror="window.__xss=1">' };
    await post('/workflows', { type: 'http-call', id, payload: { url, headers } });
    const st = await rest(id);
    expect(st.status).toBe('errored'); // this dev server has no DEMO_SECRET
    await openInstance(id, 1);

    const io = page.locator('[data-testid="step-io"][data-step="call"]');
    expect(await io.locator('[data-testid="step-method"]').textContent()).toBe('GET');
    expect(await io.locator('[data-testid="step-url"]').textContent()).toBe(url);
    expect(await io.locator('[data-testid="step-http-status"]').count()).toBe(0);
    const shown = await io.locator('[data-testid="step-headers"] li').allTextContents();
    expect(shown).toEqual(['authorization: Bearer {{DEMO_SECRET}}', 'x-note: <img src=x onerror="window.__xss=1">']);
    expect(await page.locator('#steps img, #steps b, #timeline img').count()).toBe(0);
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();

    const row = page.locator('[data-testid="step-row"][data-step="call"]');
    expect(await row.getAttribute('data-status')).toBe('failed');
    expect(await row.textContent()).toContain('secret "DEMO_SECRET" is not set');
    expect(await text('#detail-error')).toContain('STEP_FAILED: Step "call" failed: secret "DEMO_SECRET" is not set');
  });

  it('shows a call step\'s activity and its error', async () => {
    const id = `dash-call-${process.pid}-${Date.now()}`;
    await post('/workflows', { type: 'activity-steps', id, payload: { calls: [{ activity: 'refuse', args: { reason: 'card declined' } }] } });
    expect((await rest(id)).status).toBe('errored');
    await openInstance(id, 1);
    const row = page.locator('[data-testid="step-row"][data-step="call-0"]');
    expect(await row.locator('[data-testid="step-type"]').textContent()).toBe('call');
    expect(await row.textContent()).toContain('card declined');
    const io = page.locator('[data-testid="step-io"][data-step="call-0"]');
    expect(await io.locator('[data-testid="step-activity"]').textContent()).toBe('refuse');
    expect(await io.locator('[data-testid="step-method"]').count()).toBe(0);
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
