// Categories in residents' words: the report page's category step shows a
// few headings (路面与设施, 环境卫生, 安全隐患, 邻里与秩序, 其他) folded, with
// "other" open, and a search box that forgives a typo; staff move a report
// filed under "other" to the right category from the case page. At 320, 360
// and 1280 px, zh-CN and en, elderly mode, without sideways scrolling and
// without serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, logInAs, noSidewaysScroll, T } from './harness.mjs';

setup();

const resident = '19900000001';
const staff = '19900000006'; // community staff of the resident's community
const GRID = '420102001001001';

async function gridPoint() {
  const a = await (await fetch(`${env.base}/api/v1/areas/${GRID}`)).json();
  const ring = a.geometry.type === 'Polygon' ? a.geometry.coordinates[0] : a.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  return { lng: pts.reduce((s, p) => s + p[0], 0) / pts.length, lat: pts.reduce((s, p) => s + p[1], 0) / pts.length };
}

// toCategoryStep opens the report page and goes to its category step with
// the place taken from the (fake) GPS.
async function toCategoryStep(page, lang, elder) {
  await env.context.grantPermissions(['geolocation'], { origin: env.base });
  const { lat, lng } = await gridPoint();
  await env.context.setGeolocation({ latitude: lat, longitude: lng });
  await logInAs(page, resident, `/report?lang=${lang}&elder=${elder ? 1 : 0}`);
  await page.locator('#report-form[data-state="ready"]').waitFor();
  await page.locator('#use-location').click();
  await page.locator(`#place-status[data-grid="${GRID}"]`).waitFor();
  await page.locator('#step-1 [data-next="2"]').click();
  await page.locator('#step-2').waitFor({ state: 'visible' });
}

async function visibleCategories(page) {
  return page.locator('label.cat:visible .cat-name').allInnerTexts();
}

test('the category step on a phone: headings, "other" in view, search forgives typos (zh-CN, elderly)', { timeout: T }, async () => {
  for (const width of [320, 360]) {
    await withPage(`report-categories-zh-CN-elder-${width}`, { width, height: 740 }, async (page) => {
      await toCategoryStep(page, 'zh-CN', true);
      const headings = await page.locator('details.cat-group > summary').allInnerTexts();
      assert.deepEqual(headings.map((h) => h.replace(/\s*\d+$/, '')), ['路面与设施', '环境卫生', '安全隐患', '邻里与秩序', '其他']);
      assert.deepEqual(await visibleCategories(page), ['其他问题'], 'only "other" is open at first');
      const height = await page.locator('#step-2').evaluate((el) => el.getBoundingClientRect().height);
      assert.ok(height < 1100, `the folded category step is ${height}px tall`);
      if (width === 360) {
        const unfolded = await page.locator('#step-2').evaluate((el) => {
          const ds = el.querySelectorAll('details');
          ds.forEach((d) => { d.open = true; });
          const h = el.getBoundingClientRect().height;
          ds.forEach((d) => { d.open = d.getAttribute('data-group') === 'other'; });
          return h;
        });
        console.log(`# category step at 360 px, elderly: ${Math.round(height)} px folded, ${Math.round(unfolded)} px with every heading open`);
      }
      await noSidewaysScroll(page, `the category step at ${width}`);

      // A wrong character still finds the lift; nothing matching points to "other".
      await page.locator('#cat-search').fill('电悌故障');
      assert.deepEqual((await visibleCategories(page)).filter((n) => n !== '其他问题'), ['电梯故障']);
      await page.locator('#cat-search').fill('漏水');
      assert.ok((await visibleCategories(page)).includes('水管破裂'), 'a synonym finds its category');
      await page.locator('#cat-search').fill('火星人');
      assert.match(await page.locator('#cat-search-status').innerText(), /其他问题/);
      assert.deepEqual(await visibleCategories(page), ['其他问题']);
      await page.locator('#cat-search').fill('');
      await page.locator('details[data-group="safety"] > summary').click();
      await page.locator('label.cat', { hasText: '消防通道堵塞' }).click();
      await noSidewaysScroll(page, `the opened heading at ${width}`);
      const vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
    });
  }
});

test('the category step at 1280 px in English: search by an English word with a typo', { timeout: T }, async () => {
  await withPage('report-categories-en-1280', { width: 1280, height: 800 }, async (page) => {
    await toCategoryStep(page, 'en', false);
    const headings = await page.locator('details.cat-group > summary').allInnerTexts();
    assert.equal(headings[0].replace(/\s*\d+$/, ''), 'Roads and facilities');
    await page.locator('#cat-search').fill('elevater');
    assert.deepEqual((await visibleCategories(page)).filter((n) => n !== 'Something else'), ['Lift out of order']);
    await page.locator('#cat-search').fill('rubbish');
    assert.ok((await visibleCategories(page)).includes('Exposed garbage'));
    await noSidewaysScroll(page, 'the category step');
    const vs = await axeViolations(page);
    assert.equal(vs.length, 0, describeViolations(vs));
  });
});

// reportOther files a case under "other" over the API, as the resident.
async function reportOther(description) {
  const login = await fetch(`${env.base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone: resident, password: 'civicgrid-demo' }),
  });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await login.json();
  const { lat, lng } = await gridPoint();
  const res = await fetch(`${env.base}/api/v1/cases`, {
    method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify({ category: 'C0099', lat, lng, description }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).case;
}

for (const [lang, width, elder, name, reason, was] of [
  ['en', 1280, false, 'Lift out of order', 'The photo shows the lift', 'Was: Something else'],
  ['zh-CN', 360, true, '电梯故障', '照片是电梯', '原类别: 其他问题'],
]) {
  test(`staff change a report's category from the case page (${lang}, ${width} px${elder ? ', elderly' : ''})`, { timeout: T }, async () => {
    const c = await reportOther('电梯停了，困在三楼');
    await withPage(`case-reclassify-${lang}${elder ? '-elder' : ''}-${width}`, { width, height: 800 }, async (page) => {
      await logInAs(page, staff, `/cases/${c.id}?lang=${lang}&elder=${elder ? 1 : 0}`);
      const form = page.locator('form[data-action="reclassify"]');
      await form.locator('select[name="category"]').selectOption('C0008');
      await form.locator('textarea[name="reason"]').fill(reason);
      let vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
      await Promise.all([page.waitForURL(/done=reclassify/), form.locator('button[type="submit"]').click()]);
      assert.match(await page.locator('h1').innerText(), new RegExp(name));
      assert.match(await page.locator('.history').innerText(), new RegExp(was));
      await noSidewaysScroll(page, 'the case page');
      vs = await axeViolations(page);
      assert.equal(vs.length, 0, describeViolations(vs));
    });
  });
}
