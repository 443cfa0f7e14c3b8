// Browser test of the search (全文检索): a grid worker on a phone searches
// a two-character word from the header and finds the case in their grid,
// not the one in another district; the resident who reported finds their
// own; the results page in both languages and elderly mode, axe-clean,
// with screenshots in test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, T, withPage, logIn, reportOverAPI, gridPoint, axeViolations, describeViolations, noSidewaysScroll } from './harness.mjs';

setup();

const resident = '19900000001';
const rider = '19900000002'; // reports anywhere in the district: not a case reader
const gridWorker = '19900000004';
const GRID = '420102001001001';

let mine = null; // the case in the grid worker's grid
let other = null; // a case in another district

async function cases() {
  if (mine) return;
  const here = await gridPoint(GRID);
  mine = await reportOverAPI(resident, { ...here, description: '3号楼楼道积水，电梯口很滑' });
  const areas = await (await fetch(`${env.base}/api/v1/areas?level=grid&within=420106&limit=1`)).json();
  const list = areas.areas || areas.items || areas;
  const far = list.find((a) => !a.code.startsWith('420102'));
  assert.ok(far, 'no grid outside 江岸区 in the demo city');
  other = await reportOverAPI(rider, { ...(await gridPoint(far.code)), description: '小区门口积水没人管' });
}

async function resultIds(page) {
  return page.locator('li.search-result').evaluateAll((ls) => ls.map((l) => Number(l.dataset.id)));
}

test('a grid worker on a phone searches a two-character word from the header', { timeout: T }, async () => {
  await cases();
  for (const [lang, elder] of [['zh-CN', 1], ['en', 0]]) {
    await withPage(`search-360-${lang}${elder ? '-elder' : ''}`, { width: 360, height: 740 }, async (page) => {
      await logIn(page, gridWorker, `/queue?lang=${lang}&elder=${elder}`);
      // The header stays one line: the search is a button beside the menu.
      const link = page.getByTestId('search-link');
      assert.ok(await link.isVisible(), 'no search button in the phone header');
      const h = await page.locator('.site-header').evaluate((e) => e.getBoundingClientRect().height);
      assert.ok(h <= 70, `header ${h} px high`);
      await page.screenshot({ path: `test-artifacts/search-360-${lang}${elder ? '-elder' : ''}-header.png` });
      await Promise.all([page.waitForURL(/\/search$/), link.click()]);
      await page.locator('#search-q').fill('积水');
      await Promise.all([page.waitForURL(/\/search\?q=/), page.locator('form[data-testid="search-form"] button[type="submit"]').click()]);
      const ids = await resultIds(page);
      assert.ok(ids.includes(mine.id), `case ${mine.id} in the grid is not found: ${ids}`);
      assert.ok(!ids.includes(other.id), `case ${other.id} in another district is shown to the grid worker`);
      const hit = page.locator(`li.search-result[data-id="${mine.id}"]`);
      assert.equal(await hit.locator('mark').first().textContent(), '积水');
      assert.equal(await hit.locator('a').getAttribute('href'), `/cases/${mine.id}`);
      await noSidewaysScroll(page, 'the results page');
      const vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
      await page.screenshot({ path: `test-artifacts/search-360-${lang}${elder ? '-elder' : ''}-results.png`, fullPage: true });
      await Promise.all([page.waitForURL(new RegExp(`/cases/${mine.id}`)), hit.locator('a').click()]);
    });
  }
});

test('the reporter finds their own case and not a neighbour\'s; bad input is said plainly', { timeout: T }, async () => {
  await cases();
  await withPage('search-1280-zh', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, rider, '/my');
    // On a wide screen the box is in the header itself.
    const box = page.locator('#site-search-q');
    assert.ok(await box.isVisible(), 'no search box in the wide header');
    await box.fill('积水');
    await Promise.all([page.waitForURL(/\/search\?q=/), box.press('Enter')]);
    assert.deepEqual(await resultIds(page), [other.id]);
    await page.screenshot({ path: 'test-artifacts/search-1280-zh-results.png', fullPage: true });
    // Only quotes and stars: no words, a plain message, not an error page.
    const res = await page.goto(`${env.base}/search?q=${encodeURIComponent('"*" NEAR(')}`);
    assert.equal(res.status(), 200, 'NEAR is a word to search for');
    const empty = await page.goto(`${env.base}/search?q=${encodeURIComponent('"*"')}`);
    assert.equal(empty.status(), 400);
    assert.match(await page.getByTestId('search-error').textContent(), /没有文字或数字/);
    await page.screenshot({ path: 'test-artifacts/search-1280-zh-error.png' });
  }, { expectStatuses: [400] });
});
