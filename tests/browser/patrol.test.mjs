// The patrol form: a grid worker files what they find on patrol — one
// photo, their grid, a category, "I handled it on the spot" with a note — in
// one submission; the receipt says what happened (handled, waiting for
// someone else's check) and the worker is not offered to verify their own
// fix. At 360 and 1280 px, zh-CN and en, normal and elderly mode, without
// sideways scrolling and without serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, withPage, axeViolations, describeViolations, logInAs, noSidewaysScroll, T } from './harness.mjs';

setup();

const worker = '19900000004'; // grid worker of the demo accounts' grid
const logIn = (page, next) => logInAs(page, worker, next);

// A photo drawn by the browser itself.
async function photo(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 1200; c.height = 900;
    const x = c.getContext('2d');
    x.fillStyle = '#8d6e63'; x.fillRect(0, 0, 1200, 900);
    for (let i = 0; i < 60; i++) { x.fillStyle = `hsl(${i * 37 % 360},60%,50%)`; x.fillRect((i * 97) % 1100, (i * 53) % 800, 90, 70); }
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  });
  return { name: 'patrol.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') };
}

// fillPatrol fills the form: photo (waiting for its upload), category and,
// when handled, the box and the note.
async function fillPatrol(page, { category, description, handled }) {
  await page.locator('#patrol-photo').setInputFiles(await photo(page));
  await page.locator('#patrol-photo-status img').waitFor();
  await page.locator('#patrol-category').selectOption(category);
  await page.locator('#patrol-description').fill(description);
  assert.ok(await page.locator('#patrol-note').isHidden(), 'the note waits for the box');
  if (handled) {
    await page.locator('#patrol-handled').check();
    await page.locator('#patrol-note').fill(handled);
  }
}

test('handled on the spot, in one form on a phone (zh-CN, elderly mode)', { timeout: T }, async () => {
  await withPage('patrol-handled-zh-CN-elder-360', { width: 360, height: 740 }, async (page) => {
    await logIn(page, '/patrol?lang=zh-CN&elder=1');
    assert.equal(await page.locator('.page-nav a[href="/patrol"]').count(), 1, 'the menu offers the patrol form');
    await page.locator('#patrol-form[data-state="ready"]').waitFor();
    // Asked for what is missing, nothing sent.
    await page.locator('#patrol-submit').click();
    assert.match(await page.locator('#patrol-alert').innerText(), /请选择问题类别/);
    await fillPatrol(page, { category: '06010', description: '路口垃圾堆', handled: '已清运' });
    await noSidewaysScroll(page, 'the patrol form');
    let vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
    await page.screenshot({ path: 'test-artifacts/patrol-form-zh-CN-elder-360.png', fullPage: true });
    await Promise.all([page.waitForURL(/\/cases\/\d+\?receipt=1/), page.locator('#patrol-submit').click()]);
    const receipt = page.locator('[data-testid="receipt"]');
    assert.match(await receipt.locator('h2').innerText(), /已上报并记为当场处置/);
    assert.match(await page.locator('[data-testid="receipt-next"]').innerText(), /社区工作人员核查/);
    assert.doesNotMatch(await receipt.innerText(), /派给网格员/);
    assert.equal(await page.locator('[data-status]').first().getAttribute('data-status'), 'handled');
    assert.equal(await page.locator('form[data-action="verify"], form[data-action="rework"]').count(), 0, 'no verifying one\'s own fix');
    await noSidewaysScroll(page, 'the receipt');
    vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
  });
});

test('a patrol report not handled says so (en, 1280 px)', { timeout: T }, async () => {
  await withPage('patrol-reported-en-1280', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, '/patrol?lang=en&elder=0');
    await page.locator('#patrol-form[data-state="ready"]').waitFor();
    await fillPatrol(page, { category: 'C0009', description: 'Bikes in the fire lane', handled: '' });
    await Promise.all([page.waitForURL(/\/cases\/\d+\?receipt=1/), page.locator('#patrol-submit').click()]);
    assert.match(await page.locator('[data-testid="receipt-next"]').innerText(), /Filed as your patrol report/);
    assert.equal(await page.locator('[data-status]').first().getAttribute('data-status'), 'reported');
    assert.equal(await page.locator('form[data-action="self_handle"]').count(), 1, 'it can still be handled from the case page');
  });
});

for (const lang of ['zh-CN', 'en']) {
  for (const elder of [false, true]) {
    test(`the patrol form at 360 and 1280 px (${lang}${elder ? ', elderly mode' : ''}): no sideways scroll, axe-clean`, { timeout: T }, async () => {
      for (const width of [360, 1280]) {
        const name = `patrol-${lang}${elder ? '-elder' : ''}-${width}`;
        await withPage(name, { width, height: 800 }, async (page) => {
          await logIn(page, `/patrol?lang=${lang}&elder=${elder ? 1 : 0}`);
          assert.equal(await page.getAttribute('html', 'lang'), lang);
          await page.locator('#patrol-handled').check(); // the longest form
          await noSidewaysScroll(page, name);
          const vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));
        });
      }
    });
  }
}
