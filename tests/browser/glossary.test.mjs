// The glossary of terms: a page of plain explanations (立案, 派遣, 挂账, 核查,
// 督办, …) in zh-CN and en, and the case and console pages link their
// statuses and steps to its entries, so a tap explains a word. At 360 and
// 1280 px, normal and elderly mode, axe-clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations, reportOverAPI, gridPoint, logIn } from './harness.mjs';

setup();

const resident = '19900000001';
const staff = '19900000006';
const GRID = '420102001001001';
const state = { caseId: 0 };

test('a reported case', { timeout: T }, async () => {
  const { lat, lng } = await gridPoint(GRID);
  state.caseId = (await reportOverAPI(resident, { lat, lng, description: '井盖松动 The manhole cover rocks' })).id;
});

for (const [width, height] of [[360, 740], [1280, 800]]) {
  for (const lang of ['zh-CN', 'en']) {
    for (const elder of [0, 1]) {
      const name = `glossary-${width}-${lang}${elder ? '-elder' : ''}`;
      test(`the glossary page (${name})`, { timeout: T }, async () => {
        await withPage(name, { width, height }, async (page) => {
          await page.goto(`${env.base}/glossary?lang=${lang}&elder=${elder}`, { waitUntil: 'networkidle' });
          assert.equal(await page.locator('h1').count(), 1);
          const terms = await page.locator('.glossary dt dfn').allInnerTexts();
          for (const w of ['立案', '派遣', '挂账', '核查', '督办', '延期', '结案']) {
            assert.ok(terms.some((x) => x.includes(w)), `${w} is not explained`);
          }
          const { scroll, client } = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth }));
          assert.ok(scroll <= client, `${scroll} > ${client}`);
          const vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));
        });
      });
    }
  }
}

for (const [width, height] of [[360, 740], [1280, 800]]) {
  test(`a tap on a term of the console and the case page explains it (${width} px)`, { timeout: T }, async () => {
    await withPage(`glossary-from-case-${width}`, { width, height }, async (page) => {
      // The console's pane shows the chosen case with its steps.
      await logIn(page, staff, `/console?case=${state.caseId}&lang=zh-CN&elder=1`);
      const card = page.locator(`.pane-case[data-case="${state.caseId}"]`);
      // The register button has a "?" beside it that says what 立案 is.
      const help = card.locator('form[data-action="register"] a.term-help');
      assert.equal(await help.getAttribute('aria-label'), '“立案”是什么意思');
      let vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
      await card.screenshot({ path: `test-artifacts/glossary-console-card-${width}-elder.png` });
      await Promise.all([page.waitForURL(/\/glossary#register$/), help.click()]);
      const entry = page.locator('#register');
      assert.ok(await entry.isVisible());
      assert.match(await entry.innerText(), /立案[\s\S]*正式记下来/);
      assert.equal(await page.evaluate(() => document.querySelector(':target')?.id), 'register');
      assert.ok(await entry.evaluate((el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }), 'the entry is not in view');

      // The case page: its status, and the steps in its history.
      await page.goto(`${env.base}/cases/${state.caseId}?lang=en`, { waitUntil: 'networkidle' });
      const status = page.locator('.case-state a.status');
      assert.equal(await status.getAttribute('href'), '/glossary#report');
      assert.equal(await page.locator('.history a.term').first().getAttribute('href'), '/glossary#report');
      vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
      await page.screenshot({ path: `test-artifacts/glossary-case-${width}-en.png`, fullPage: true });
      await Promise.all([page.waitForURL(/\/glossary#report$/), status.click()]);
      assert.match(await page.locator('#report').innerText(), /Report \(上报\)/);
    });
  });
}
