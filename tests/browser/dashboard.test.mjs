// Browser tests of the indicator dashboard with the demo accounts: a few
// reports, one registered in time, so that the rates have small samples;
// then the community staff's dashboard at 360 and 1280 px, zh-CN and en,
// normal and elderly mode: every rate with its fraction and its formula
// (opened by keyboard), the small-sample mark, the trend chart (uPlot) with
// its table, daily, weekly or monthly by the period or as asked; without
// JavaScript the table alone. Screenshots, axe, and no sideways scrolling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations, apiJSON, gridPoint } from './harness.mjs';

setup();

const password = 'civicgrid-demo';
const resident = '19900000001';
const staff = '19900000006'; // community staff of the demo's first community
const GRID = '420102001001001';

async function login(page, phone, next) {
  await page.goto(`${env.base}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'networkidle' });
  await page.locator('#login-phone').fill(phone);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-password').press('Enter');
  await page.waitForLoadState('networkidle');
}

async function noSidewaysScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what} scrolls sideways: ${scroll} > ${width} px`);
}

test('cases to count: three reports, one registered in time', { timeout: T }, async () => {
  const p = await gridPoint(GRID);
  const res = await apiJSON(resident);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const c = await res('POST', '/api/v1/cases', { category: 'C0005', lat: p.lat, lng: p.lng + i * 0.00005, description: `测试指标 ${i}` },
      { 'Idempotency-Key': `dash-${i}` });
    ids.push(c.case.id);
  }
  const st = await apiJSON(staff);
  await st('POST', `/api/v1/cases/${ids[0]}/register`, {});
  const trend = await st('GET', `/api/v1/indicators/trend?scope=${GRID.slice(0, 12)}&from=2026-01-01&to=2026-12-31`);
  assert.equal(trend.bucket, 'month');
  assert.equal(trend.buckets.length, 12);
});

for (const lang of ['zh-CN', 'en']) {
  for (const elder of [false, true]) {
    for (const width of [360, 1280]) {
      const name = `dashboard-${lang}${elder ? '-elder' : ''}-${width}`;
      test(`the dashboard (${lang}, ${elder ? 'elderly mode, ' : ''}${width} px): fractions, formulas, small samples, trend chart`, { timeout: T }, async () => {
        await withPage(name, { width, height: 800 }, async (page) => {
          await login(page, staff, `/dashboard?days=30&lang=${lang}&elder=${elder ? 1 : 0}`);
          assert.equal(await page.getAttribute('html', 'lang'), lang);
          const cards = page.locator('.rates .rate');
          // The response rate: the one registered case, answered in time;
          // the two waiting ones are not yet due.
          const response = cards.filter({ hasText: lang === 'en' ? 'Answered on time' : '按时受理率' });
          assert.match(await response.locator('.rate-fraction').innerText(), /^1 \/ 1\b/);
          assert.match(await response.locator('.rate-value').innerText(), /100\.0%/);
          assert.ok(await response.locator('.small-sample').isVisible(), 'no small-sample mark');
          // The formula opens by keyboard.
          const summary = response.locator('details.formula summary');
          await summary.focus();
          await page.keyboard.press('Enter');
          const formula = await response.locator('details.formula').innerText();
          assert.match(formula, lang === 'en' ? /cases due for an answer.*= 1 \/ 1/s : /应受理数.*= 1 \/ 1/s);
          assert.match(formula, lang === 'en' ? /Fewer than 20 cases \(1\)/ : /仅 1 件（少于 20 件）/);
          // The trend: 30 days by day, drawn and tabled.
          await page.locator('#trend-chart[data-state="ready"]').waitFor();
          assert.ok(await page.locator('#trend-chart canvas').count() > 0, 'no chart drawn');
          assert.equal(await page.locator('table.trend tbody tr').count(), 30);
          await noSidewaysScroll(page, name);
          const vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));
        });
      });
    }
  }
}

test('a year is shown by month, 90 days by week unless asked; without JavaScript the table alone', { timeout: T }, async () => {
  await withPage('dashboard-year-1280', { width: 1280, height: 800 }, async (page) => {
    await login(page, staff, '/dashboard?days=365&lang=zh-CN&elder=0');
    await page.locator('#trend-chart[data-state="ready"]').waitFor();
    const rows = await page.locator('table.trend tbody tr').count();
    assert.ok(rows === 12 || rows === 13, `${rows} months in a year`);
    assert.match(await page.locator('#trend-heading').innerText(), /月/);
    await page.goto(`${env.base}/dashboard?days=90`, { waitUntil: 'networkidle' });
    const weeks = await page.locator('table.trend tbody tr').count();
    assert.ok(weeks >= 13 && weeks <= 14, `${weeks} weeks in 90 days`);
    // Asked for days over the year.
    await page.locator('#d-days').selectOption('365');
    await page.locator('#d-bucket').selectOption('day');
    await page.locator('form.filters button[type="submit"]').click();
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator('table.trend tbody tr').count(), 365);
    await page.locator('#trend-chart[data-state="ready"]').waitFor();
  });
  await withPage('dashboard-nojs-360', { width: 360, height: 800 }, async (page) => {
    // Still logged in from the page above.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    await page.goto(`${env.base}/dashboard?days=30&lang=en`, { waitUntil: 'networkidle' });
    assert.ok(await page.locator('.trend-chart').isHidden(), 'an empty chart box without JavaScript');
    assert.equal(await page.locator('table.trend tbody tr').count(), 30);
    await noSidewaysScroll(page, 'dashboard without JavaScript');
  }, { keepCookies: true });
});
