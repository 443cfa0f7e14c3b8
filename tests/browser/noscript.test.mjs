// The report page without JavaScript (javaScriptEnabled: false): no
// buttons that do nothing — the three steps need the script, so they are
// hidden — and the community's real number to call (the demo's
// --community-phone). At 360 and 1280 px, zh-CN and en, normal and
// elderly mode, axe-clean.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { T, env, setup, axeViolations, describeViolations } from './harness.mjs';

setup();

let browser, context;
before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
});
after(async () => { await browser?.close(); });

const resident = '19900000001';

test('without JavaScript the report page offers the community phone and no dead buttons', { timeout: T * 3 }, async () => {
  const page = await context.newPage();
  try {
    // Logging in is a plain form post.
    await page.goto(`${env.base}/login?next=%2Freport`, { waitUntil: 'load' });
    await page.locator('#login-phone').fill(resident);
    await page.locator('#login-password').fill('civicgrid-demo');
    await Promise.all([page.waitForURL(/\/report$/), page.locator('form.login button[type="submit"]').click()]);
    for (const [width, height] of [[360, 740], [1280, 800]]) {
      for (const lang of ['zh-CN', 'en']) {
        for (const elder of [0, 1]) {
          await page.setViewportSize({ width, height });
          await page.goto(`${env.base}/report?lang=${lang}&elder=${elder}`, { waitUntil: 'load' });
          const phone = page.getByTestId('community-phone');
          assert.ok(await phone.isVisible(), 'no community phone');
          assert.equal(await phone.getAttribute('href'), 'tel:027-12345678');
          assert.equal((await phone.innerText()).trim(), '027-12345678');
          assert.equal(await page.locator('#report-form').isVisible(), false, 'the script-only steps are shown');
          const visibleButtons = await page.locator('main button:visible').count();
          assert.equal(visibleButtons, 0, 'buttons that need the script are shown');
          const { scroll, client } = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth }));
          assert.ok(scroll <= client, `${scroll} > ${client}`);
          await page.screenshot({ path: `test-artifacts/report-noscript-${width}-${lang}${elder ? '-elder' : ''}.png`, fullPage: true });
        }
      }
    }
  } finally {
    await page.close();
  }
});

// axe runs on timers, which do not run without JavaScript: it checks the
// same page in a scripting browser that is served the page's <noscript>
// content as plain markup and none of its scripts.
test('the report page without JavaScript is axe-clean', { timeout: T * 3 }, async () => {
  await env.context.clearCookies();
  const page = await env.context.newPage();
  try {
    await page.goto(`${env.base}/login?next=%2Fmy`, { waitUntil: 'domcontentloaded' });
    await page.locator('#login-phone').fill(resident);
    await page.locator('#login-password').fill('civicgrid-demo');
    await Promise.all([page.waitForURL(/\/my$/), page.locator('form.login button[type="submit"]').click()]);
    await page.route('**/report?*', async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace(/<\/?noscript>/g, '');
      return route.fulfill({ response: res, body: html });
    });
    await page.route('**/*.js*', (route) => (route.request().resourceType() === 'script' ? route.abort() : route.continue()));
    for (const [width, height] of [[360, 740], [1280, 800]]) {
      for (const lang of ['zh-CN', 'en']) {
        for (const elder of [0, 1]) {
          await page.setViewportSize({ width, height });
          await page.goto(`${env.base}/report?lang=${lang}&elder=${elder}`, { waitUntil: 'load' });
          assert.ok(await page.getByTestId('community-phone').isVisible());
          assert.equal(await page.locator('#report-form').isVisible(), false);
          const vs = await axeViolations(page);
          assert.equal(vs.length, 0, `${width} ${lang} ${elder}: ${describeViolations(vs)}`);
        }
      }
    }
  } finally {
    await page.close();
  }
});
