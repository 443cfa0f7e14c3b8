// Browser tests of case clarity (who holds a case, dispatch to colleagues
// who can log in, merged and rejected reports, ratings without a default,
// the printable dispatch sheet): each page as its users see it, at 360 and
// 1280 px, in zh-CN and en, in elderly mode, axe-clean, with screenshots in
// test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, setup, axeViolations, describeViolations, apiSession } from './harness.mjs';

setup();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = path.join(root, 'test-artifacts');
const LONG = 360_000; // per-test limit (see T in harness.mjs)
const password = 'civicgrid-demo';
const resident = '19900000001';
const gridWorker = '19900000004';
const staff = '19900000006';
const secretary = '19900000007';
const GRID = '420102001001001';
const RELAY = '027-12345000'; // the demo's work number (--relay-phone)

// api logs a user in over the JSON API.
// session is apiSession whose answers come as { status, body }.
async function session(phone) {
  const call = await apiSession(phone);
  const api = async (method, url, body) => {
    const r = await call(method, url, body);
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  api.headers = call.headers;
  return api;
}

let spot = null;
async function gridPoint() {
  if (spot) return spot;
  const a = await (await fetch(`${env.base}/api/v1/areas/${GRID}`)).json();
  const ring = a.geometry.type === 'Polygon' ? a.geometry.coordinates[0] : a.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  spot = { lng: pts.reduce((s, p) => s + p[0], 0) / pts.length, lat: pts.reduce((s, p) => s + p[1], 0) / pts.length };
  return spot;
}

// report files a case as the resident over the API.
async function report(description, category = 'C0004', shift = 0) {
  const api = await session(resident);
  const p = await gridPoint();
  const res = await api('POST', '/api/v1/cases', { category, lat: p.lat + shift, lng: p.lng + shift, description });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.case.id;
}

async function act(phone, id, action, body) {
  const api = await session(phone);
  const res = await api('POST', `/api/v1/cases/${id}/${action}`, body);
  assert.equal(res.status, 200, `${action}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function myID(phone) {
  return (await (await session(phone))('GET', '/api/v1/me')).body.user.id;
}

// visit opens url as phone at a width, language and mode, checks axe and
// sideways scroll, runs fn and keeps a screenshot as name.png.
async function visit(phone, url, { name, width = 1280, lang = 'zh-CN', elder = false }, fn) {
  await env.context.clearCookies();
  const page = await env.context.newPage();
  await page.setViewportSize({ width, height: width < 500 ? 740 : 800 });
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !/status of (401|404|422)/.test(msg.text())) errors.push(msg.text()); });
  try {
    await page.goto(`${env.base}/login`, { waitUntil: 'domcontentloaded' });
    await page.locator('#login-phone').fill(phone);
    await page.locator('#login-password').fill(password);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('form.login button[type="submit"]').click()]);
    const sep = url.includes('?') ? '&' : '?';
    await page.goto(`${env.base}${url}${sep}lang=${lang}&elder=${elder ? 1 : 0}`, { waitUntil: 'networkidle' });
    if (fn) await fn(page);
    const vs = await axeViolations(page);
    assert.equal(vs.length, 0, `${name}: ${describeViolations(vs)}`);
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(sideways <= 0, `${name}: scrolls sideways by ${sideways}px`);
    assert.deepEqual(errors, [], 'errors in the page');
    await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  } catch (err) {
    await page.screenshot({ path: path.join(artifacts, `${name}-failed.png`), fullPage: true }).catch(() => {});
    throw err;
  } finally {
    await page.close();
  }
}

const state = {};

test('the case page names who holds the case: staff see the colleague, the reporter the grid worker and the work number', { timeout: LONG }, async () => {
  const id = await report('单元门口的灯坏了，晚上很黑');
  state.held = id;
  const workerID = await myID(gridWorker);
  await act(staff, id, 'register');
  await act(staff, id, 'dispatch', { assignee_id: workerID });
  for (const [width, lang, elder] of [[360, 'zh-CN', true], [1280, 'en', false]]) {
    await visit(resident, `/cases/${id}`, { name: `clarity-assignee-resident-${lang}-${width}${elder ? '-elder' : ''}`, width, lang, elder }, async (page) => {
      const held = page.locator('[data-testid="assignee"]');
      assert.match(await held.innerText(), /演示网格员/);
      assert.equal(await held.locator('[data-testid="work-phone"]').getAttribute('href'), `tel:${RELAY}`);
      assert.doesNotMatch(await held.innerText(), /199\*\*\*\*0004|19900000004/);
    });
  }
  for (const [width, lang] of [[360, 'en'], [1280, 'zh-CN']]) {
    await visit(staff, `/cases/${id}`, { name: `clarity-assignee-staff-${lang}-${width}`, width, lang }, async (page) => {
      const text = await page.locator('[data-testid="assignee"]').innerText();
      assert.match(text, /演示网格员/);
      assert.match(text, /199\*\*\*\*0004/);
    });
  }
});

test('dispatch lists colleagues by name and area; the default goes to someone who can log in', { timeout: LONG }, async () => {
  const id = await report('小区门口的路灯不亮', 'C0004', 0.0001);
  await act(staff, id, 'register');
  for (const [width, lang, elder] of [[1280, 'en', false], [360, 'zh-CN', true]]) {
    await visit(staff, `/cases/${id}`, { name: `clarity-dispatch-${lang}-${width}${elder ? '-elder' : ''}`, width, lang, elder }, async (page) => {
      const select = page.locator('form[data-action="dispatch"] select[name="assignee_id"]');
      const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ text: o.textContent, disabled: o.disabled })));
      const worker = options.find((o) => o.text.includes('演示网格员'));
      assert.ok(worker && !worker.disabled && /199\*\*\*\*0004/.test(worker.text), JSON.stringify(options));
      assert.ok(options.some((o) => o.text.includes('演示社区工作者')), 'community staff listed by name');
      // Workers the area import listed without a login are shown, not offered.
      for (const o of options.filter((o) => /no login|无登录/.test(o.text))) assert.ok(o.disabled, o.text);
    });
  }
  // The default dispatch, from the page.
  await visit(staff, `/cases/${id}`, { name: 'clarity-dispatched-zh-CN-1280' }, async (page) => {
    const form = page.locator('form[data-action="dispatch"]');
    await Promise.all([page.waitForURL(/[?&](done|failed)=/), form.locator('button[type="submit"]').click()]);
    assert.equal(await page.locator('[data-testid="flash-error"]').count(), 0);
    assert.match(await page.locator('[data-testid="assignee"]').innerText(), /演示网格员/);
  });
});

test('a merged report leads to the kept case and its outcome; a rejected one says why and where to turn', { timeout: LONG }, async () => {
  // The resident's report is merged into one by the building head.
  const api = await session('19900000005');
  const p = await gridPoint();
  const keptRes = await api('POST', '/api/v1/cases', { category: 'C0001', lat: p.lat - 0.0001, lng: p.lng - 0.0001, description: '楼下井盖松动，有人差点绊倒' });
  assert.equal(keptRes.status, 201);
  const kept = keptRes.body.case.id;
  const dup = await report('井盖松动', 'C0001', -0.0001);
  await act(staff, dup, 'merge', { into: kept });
  await act(staff, kept, 'register');
  const rejected = await report('楼上邻居装修太吵', 'C0004', 0.0002);
  await act(staff, rejected, 'reject', { reason: 'out_of_scope', note: '装修噪音请联系物业或拨打 12345' });
  for (const [width, lang, elder] of [[360, 'zh-CN', true], [1280, 'en', false]]) {
    const tag = `${lang}-${width}${elder ? '-elder' : ''}`;
    await visit(resident, `/cases/${dup}`, { name: `clarity-merged-${tag}`, width, lang, elder }, async (page) => {
      const banner = page.locator('[data-testid="merged"]');
      assert.match(await banner.innerText(), lang === 'en' ? /Registered/ : /已立案/);
      assert.equal(await banner.locator('[data-testid="kept-link"]').getAttribute('href'), `/cases/${kept}`);
    });
    await visit(resident, `/cases/${kept}`, { name: `clarity-kept-${tag}`, width, lang, elder }, async (page) => {
      await page.locator('[data-testid="merged-view"]').waitFor();
      const text = await page.locator('main').innerText();
      assert.doesNotMatch(text, /199\*\*\*\*0005|演\*\*\*\*\*/, 'the other reporter is named');
    });
    await visit(resident, `/cases/${rejected}`, { name: `clarity-rejected-${tag}`, width, lang, elder }, async (page) => {
      const banner = page.locator('[data-testid="rejected"]');
      assert.match(await banner.innerText(), lang === 'en' ? /Not within our remit/ : /不属于受理范围/);
      assert.equal(await banner.locator('[data-testid="hotline"]').getAttribute('href'), 'tel:12345');
      assert.match(await banner.locator('[data-testid="office"]').innerText(), /演示/);
      // The banner comes before the case's heading.
      const [b, h] = await Promise.all([banner.boundingBox(), page.locator('h1').boundingBox()]);
      assert.ok(b.y < h.y, 'the reason is at the top');
    });
  }
});

test('ratings have no default; the dispatch sheet prints on A4 without the site around it', { timeout: LONG }, async () => {
  const id = state.held;
  const api = await session(gridWorker);
  assert.equal((await api('POST', `/api/v1/cases/${id}/accept`)).status, 200);
  for (const [width, lang, elder] of [[1280, 'zh-CN', false], [360, 'en', true]]) {
    await visit(staff, `/cases/${id}/print`, { name: `clarity-sheet-${lang}-${width}${elder ? '-elder' : ''}`, width, lang, elder }, async (page) => {
      const sheet = page.locator('[data-testid="dispatch-sheet"]');
      assert.equal(await sheet.locator('[data-testid="sheet-id"]').innerText(), String(id));
      assert.match(await sheet.locator('[data-testid="sheet-assignee"]').innerText(), /演示网格员/);
      assert.match(await sheet.locator('[data-testid="sheet-url"]').innerText(), new RegExp(`/cases/${id}$`));
      assert.ok(await page.locator('[data-print]').isVisible(), 'the print button shows with JavaScript');
    });
  }
  // As printed: A4, no header, navigation or footer.
  await visit(staff, `/cases/${id}/print`, { name: 'clarity-sheet-print-preview' }, async (page) => {
    await page.emulateMedia({ media: 'print' });
    for (const sel of ['.site-header', '.site-footer', '.no-print']) {
      assert.equal(await page.locator(sel).first().isVisible(), false, `${sel} printed`);
    }
    const pdf = await page.pdf({ preferCSSPageSize: true });
    // An A4 page is 595×842 points.
    const box = pdf.toString('latin1').match(/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/);
    assert.ok(box, 'no page size in the PDF');
    assert.deepEqual([Math.round(Number(box[1])), Math.round(Number(box[2]))], [595, 842], 'not A4');
    await page.emulateMedia({ media: 'screen' });
  });
  // The case goes on to be rated: the form has no default, and the browser
  // will not send it without a choice (the server refuses one left out too).
  const jpeg = await jpegBytes();
  const up = await fetch(`${env.base}/api/v1/photos`, { method: 'POST', headers: api.headers, body: jpeg });
  assert.equal(up.status, 201, await up.clone().text());
  const { ref } = await up.json();
  assert.equal((await api('POST', `/api/v1/cases/${id}/handle`, { note: '已更换灯泡', photos: [ref] })).status, 200);
  await act(secretary, id, 'verify');
  await act(secretary, id, 'close');
  const refused = await (await session(resident))('POST', `/api/v1/cases/${id}/rate`, { note: '还行' });
  assert.equal(refused.status, 400);
  assert.match(refused.body.error.message, /none was given/);
  for (const [width, lang, elder] of [[360, 'zh-CN', true], [1280, 'en', false]]) {
    await visit(resident, '/my', { name: `clarity-rate-${lang}-${width}${elder ? '-elder' : ''}`, width, lang, elder }, async (page) => {
      const form = page.locator(`[data-case="${id}"] form[data-action="rate"]`);
      assert.equal(await form.locator('input[name="rating"]:checked').count(), 0, 'a rating is preselected');
      assert.equal(await form.evaluate((f) => f.checkValidity()), false, 'the form would send without a rating');
    });
  }
});

// jpegBytes draws a small photo in the browser.
async function jpegBytes() {
  const page = await env.context.newPage();
  try {
    await page.goto(`${env.base}/healthz`);
    const b64 = await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 64; c.height = 48;
      const x = c.getContext('2d');
      x.fillStyle = '#2e7d32'; x.fillRect(0, 0, 64, 48);
      return c.toDataURL('image/jpeg', 0.9).split(',')[1];
    });
    return Buffer.from(b64, 'base64');
  } finally {
    await page.close();
  }
}
