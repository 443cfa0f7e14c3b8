// The compact phone header: at 320 and 360 px one line with the site's
// name and a menu button (normal and elderly mode, zh-CN and en); the
// button opens the role's menu, the account and the language and elderly
// switches, without JavaScript too; at 1280 px all of it shows in the
// header without a button. Screenshots and axe with the menu closed and
// open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations, openMenu, logIn } from './harness.mjs';

setup();

const staff = '19900000006'; // community staff: the longest menu of a role on the street

const headerHeight = (page) => page.locator('.site-header').evaluate((h) => h.getBoundingClientRect().height);

for (const lang of ['zh-CN', 'en']) {
  for (const elder of [0, 1]) {
    const mode = `${lang}${elder ? '-elder' : ''}`;
    for (const width of [320, 360]) {
      test(`the phone header is one line with a menu button (${width} px, ${mode})`, { timeout: T }, async () => {
        await withPage(`header-${width}-${mode}-open`, { width, height: 740 }, async (page) => {
          await logIn(page, staff, `/console?lang=${lang}&elder=${elder}`);
          const menu = page.getByRole('navigation', { name: /页面导航|Pages/ });
          assert.equal(await menu.isVisible(), false, 'the menu is open before it is asked for');
          // One line: no taller than the elderly mode's menu button and the
          // header's padding (it took a third of a 740 px screen before).
          const closed = await headerHeight(page);
          assert.ok(closed <= 70, `header ${closed} px high`);
          const button = page.locator('summary.menu-button');
          const box = await button.boundingBox();
          assert.ok(box.x + box.width <= width, 'the menu button is off the screen');
          await page.screenshot({ path: `test-artifacts/header-${width}-${mode}-closed.png` });
          let vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));

          await openMenu(page);
          assert.ok(await menu.isVisible(), 'the menu does not open');
          for (const href of ['/console', '/dashboard', '/my']) {
            assert.ok(await menu.locator(`a[href="${href}"]`).isVisible(), `${href} not in the open menu`);
          }
          assert.ok(await page.locator('.account-who').isVisible(), 'who is logged in is not in the menu');
          assert.ok(await page.locator('[data-elder-switch]').isVisible(), 'no elderly switch in the menu');
          assert.ok(await page.locator('a[data-lang-switch][lang="en"]').isVisible(), 'no language switch in the menu');
          // The open menu lies over the page rather than pushing it down.
          assert.equal(await headerHeight(page), closed);
          const { scroll, client } = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth }));
          assert.ok(scroll <= client, `the open menu scrolls sideways: ${scroll} > ${client}`);
          vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));
        });
      });
    }

    test(`at 1280 px the header shows the menu without a button (${mode})`, { timeout: T }, async () => {
      await withPage(`header-1280-${mode}`, { width: 1280, height: 800 }, async (page) => {
        await logIn(page, staff, `/console?lang=${lang}&elder=${elder}`);
        assert.equal(await page.locator('summary.menu-button').isVisible(), false);
        const menu = page.getByRole('navigation', { name: /页面导航|Pages/ });
        assert.ok(await menu.locator('a[href="/console"]').isVisible());
        assert.ok(await page.locator('.account-who').isVisible());
        assert.ok(await page.locator('[data-elder-switch]').isVisible());
        // Two rows as before: the name, account and switches, then the menu.
        const brand = await page.locator('.brand').boundingBox();
        const nav = await menu.boundingBox();
        assert.ok(nav.y >= brand.y + brand.height - 1, 'the menu is not the second row');
        assert.ok(nav.width >= 1280 - 1, `the menu row is ${nav.width} px wide`);
        const vs = await axeViolations(page);
        assert.equal(vs.length, 0, describeViolations(vs));
      });
    });
  }
}

test('the phone menu works without JavaScript, logged out too', { timeout: T }, async () => {
  const page = await env.context.newPage();
  try {
    await env.context.clearCookies();
    await page.route('**/*.js', (route) => route.abort());
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${env.base}/?lang=en&elder=1`, { waitUntil: 'load' });
    await page.locator('summary.menu-button').click();
    await Promise.all([page.waitForURL(/\/login/), page.getByRole('link', { name: 'Log in' }).click()]);
    await page.locator('summary.menu-button').click();
    await Promise.all([page.waitForURL(/elder=0/), page.locator('[data-elder-switch]').click()]);
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('elder')), false);
  } finally {
    await page.close();
  }
});
