// Browser tests of the area import page with the demo city admin: a file
// with known problems is checked (every problem drawn on the map and listed,
// nothing written, no import offered); a clean file is checked and, after a
// confirmation, imported. A role the policy does not let import areas has no
// tab and gets 403. The page with problems at 360 and 1280 px, zh-CN and en,
// normal and elderly mode: screenshots, axe, no sideways scrolling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { T, env, setup, withPage, axeViolations, describeViolations } from './harness.mjs';

setup();

const here = path.dirname(fileURLToPath(import.meta.url));
const withProblems = path.join(here, 'fixtures', 'areas-with-problems.geojson');
const newBuilding = path.join(here, 'fixtures', 'areas-new-building.geojson');
const cityAdmin = '19900000011';
const communityStaff = '19900000006';
const resident = '19900000001';

async function login(page, phone, next) {
  await page.goto(`${env.base}/login?next=${encodeURIComponent(next)}`, { waitUntil: 'networkidle' });
  await page.getByLabel(/手机号|Mobile number/).fill(phone);
  await page.getByLabel(/^密码$|^Password$/).fill('civicgrid-demo');
  await page.getByRole('button', { name: /^登录$|^Log in$/ }).click();
  await page.waitForLoadState('networkidle');
}

// community is the stored community the fixture redraws, as the public API
// lists it with its areas (versions and all), to tell that nothing changed.
async function community() {
  const res = await fetch(`${env.base}/api/v1/areas?within=420102001&limit=1000`);
  assert.equal(res.status, 200);
  return (await res.json()).areas;
}

// checkFile chooses a file, presses Check, waits for the page to show the
// answer and returns the API's answer to the same file (asked again from
// the page: the check writes nothing, so asking twice changes nothing).
async function checkFile(page, file, button = /^检查$|^Check$/) {
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/areas/check'));
  await page.locator('#area-file').setInputFiles(file);
  await page.getByRole('button', { name: button }).click();
  assert.equal((await answer).status(), 200);
  await page.waitForFunction(() => !document.getElementById('area-check-button').disabled && document.getElementById('area-status').textContent !== '');
  return page.evaluate(async () => {
    const csrf = JSON.parse(document.getElementById('cg-config').textContent).csrf;
    const file = document.getElementById('area-file').files[0];
    const res = await fetch('/api/v1/admin/areas/check', { method: 'POST', body: file, headers: { 'X-CSRF-Token': csrf } });
    return res.json();
  });
}

// assertProblemsShown checks the list and the map against the answer.
async function assertProblemsShown(page, body) {
  const problems = body.problems;
  assert.ok(problems.length >= 8, `only ${problems.length} problems`);
  const kinds = new Set(problems.map((p) => p.kind));
  for (const k of ['overlap', 'gap', 'outside_parent', 'self_intersection', 'missing_parent', 'duplicate_code', 'bad_code']) {
    assert.ok(kinds.has(k), `no ${k} among ${[...kinds]}`);
  }
  const list = page.getByTestId('area-problems');
  assert.equal(await list.locator('li').count(), problems.length, 'list entries');
  const placed = problems.filter((p) => p.at || p.geometry).length;
  assert.equal(placed, problems.length, 'every problem of this file has a place');
  assert.equal(await page.locator('#area-map .problem-shape').count(), placed, 'problem shapes on the map');
  assert.equal(await list.locator('button').count(), placed, 'list entries that show their place');
  assert.equal(await page.locator('#area-map path.file-area').count(), body.areas.features.length, "the file's areas on the map");
  assert.ok(await page.getByTestId('area-import').isHidden(), 'import offered despite problems');
}

test('the city admin checks a file with problems: drawn, listed, nothing written', { timeout: T }, async () => {
  const before = await community();
  await withPage('admin-areas-problems-flow-1280', { width: 1280, height: 800 }, async (page) => {
    await login(page, cityAdmin, '/?lang=zh-CN&elder=0');
    await page.getByRole('navigation', { name: '页面导航' }).getByRole('link', { name: '管理' }).click();
    await page.getByRole('link', { name: '区域导入' }).click();
    await page.waitForURL(/\/admin\/areas$/);
    assert.equal(await page.locator('#area-map').getAttribute('data-state'), 'ready');

    const body = await checkFile(page, withProblems);
    assert.equal(body.ok, false);
    await assertProblemsShown(page, body);
    assert.match(await page.locator('#area-status').innerText(), new RegExp(`发现 ${body.problems.length} 个问题`));
    const list = page.getByTestId('area-problems');
    assert.match(await list.locator('li[data-kind="self_intersection"]').innerText(), /边界自相交/);
    assert.match(await list.locator('li[data-kind="duplicate_code"]').innerText(), /编码重复/);

    // An entry shows its place: marked in the list, its shape drawn bolder
    // and in view.
    const entry = list.locator('li[data-kind="self_intersection"] button');
    await entry.click();
    assert.equal(await entry.getAttribute('aria-current'), 'true');
    assert.ok(body.problems.find((p) => p.kind === 'self_intersection').at, 'the crossing has no place');
    const inView = await page.evaluate(() => {
      const m = document.querySelector('#area-map .problem-marker.chosen');
      if (!m || m.textContent !== String(1 + [...document.querySelectorAll('#area-problem-list li')].findIndex((li) => li.dataset.kind === 'self_intersection'))) return false;
      const r = m.getBoundingClientRect(), box = document.getElementById('area-map').getBoundingClientRect();
      return r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
    });
    assert.ok(inView, 'the chosen problem is not marked in view');
    // Keyboard: the entries are buttons in the tab order.
    await entry.focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.closest('#area-problem-list') !== null), true);
  });
  assert.deepEqual(await community(), before, 'the check changed the stored areas');
  const orphan = await fetch(`${env.base}/api/v1/areas/420102001099001`);
  assert.equal(orphan.status, 404, 'the check stored a new grid');
});

test('a clean file is imported after the confirmation, and the new area exists', { timeout: T }, async () => {
  await withPage('admin-areas-import-1280', { width: 1280, height: 800 }, async (page) => {
    await login(page, cityAdmin, '/admin/areas?lang=zh-CN&elder=0');
    const body = await checkFile(page, newBuilding);
    assert.equal(body.ok, true);
    assert.deepEqual(body.preview, { created: 1, redrawn: 0, unchanged: 0 });
    assert.equal(await page.getByTestId('area-problems').locator('li').count(), 0);
    assert.match(await page.locator('#area-problems-empty').innerText(), /没有问题/);
    const box = page.getByTestId('area-import');
    assert.match(await box.innerText(), /新增 1 个/);
    await page.getByRole('button', { name: '导入…' }).click();
    assert.match(await page.locator('#area-import-confirm').innerText(), /将新增 1 个区域、修改 0 个/);
    assert.equal((await fetch(`${env.base}/api/v1/areas/4201020010010019001`)).status, 404, 'written before the confirmation');
    await page.screenshot({ path: 'test-artifacts/admin-areas-confirm-1280.png', fullPage: true });
    const done = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/areas/import'));
    await page.getByRole('button', { name: '确认导入' }).click();
    assert.equal((await done).status(), 200);
    await page.waitForFunction(() => document.getElementById('area-status').classList.contains('done') && /已导入/.test(document.getElementById('area-status').textContent));
    assert.match(await page.locator('#area-status').innerText(), /已导入：新增 1 个/);
    assert.ok(await box.isHidden());
  });
  const res = await fetch(`${env.base}/api/v1/areas/4201020010010019001`);
  assert.equal(res.status, 200, 'the imported building is not there');
  const area = await res.json();
  assert.equal(area.name, '三阳社区试点楼');
});

test('roles the policy does not let import areas have no tab and get 403', { timeout: T }, async () => {
  await withPage('admin-areas-denied-360', { width: 360, height: 740 }, async (page) => {
    await login(page, communityStaff, '/admin?lang=en&elder=0');
    assert.equal(await page.locator('a[href="/admin/areas"]').count(), 0, 'community staff offered area import');
    let res = await page.goto(`${env.base}/admin/areas`, { waitUntil: 'networkidle' });
    assert.equal(res.status(), 403);
    assert.equal(await page.locator('#area-check-form').count(), 0);

    await env.context.clearCookies();
    await login(page, resident, '/?lang=en&elder=0');
    assert.equal(await page.locator('a[href="/admin/areas"], a[href="/admin"]').count(), 0, 'a resident offered admin');
    res = await page.goto(`${env.base}/admin/areas`, { waitUntil: 'networkidle' });
    assert.equal(res.status(), 403);
  }, { expectStatuses: [403] });
});

for (const [width, height] of [[360, 740], [1280, 800]]) {
  for (const lang of ['zh-CN', 'en']) {
    for (const elder of [0, 1]) {
      test(`the page with problems at ${width} px, ${lang}${elder ? ', elderly mode' : ''}`, { timeout: T }, async () => {
        await withPage(`admin-areas-problems-${width}-${lang}${elder ? '-elder' : ''}`, { width, height }, async (page) => {
          await login(page, cityAdmin, `/admin/areas?lang=${lang}&elder=${elder}`);
          const body = await checkFile(page, withProblems);
          await assertProblemsShown(page, body);
          if (lang === 'en') assert.match(await page.getByTestId('area-problems').innerText(), /Boundary crosses itself/);
          if (width === 360) {
            const map = await page.locator('#area-map').boundingBox();
            const list = await page.getByTestId('area-problems').boundingBox();
            assert.ok(list.y >= map.y + map.height, 'the list is not under the map');
            // Choosing an entry far down the list brings the map back into view.
            await page.screenshot({ path: `test-artifacts/admin-areas-problems-${width}-${lang}${elder ? '-elder' : ''}-top.png` });
            await page.getByTestId('area-problems').locator('li[data-kind="gap"] button').click();
            const top = await page.evaluate(() => document.getElementById('area-map').getBoundingClientRect().top);
            assert.ok(top > -1 && top < 50, `the map is not in view after choosing a problem (top ${top})`);
            await page.screenshot({ path: `test-artifacts/admin-areas-problems-${width}-${lang}${elder ? '-elder' : ''}-chosen.png` });
          } else {
            const map = await page.locator('#area-map').boundingBox();
            const list = await page.getByTestId('area-problems').boundingBox();
            assert.ok(list.x >= map.x + map.width, 'the list is not beside the map');
          }
          const { scroll, w } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, w: window.innerWidth }));
          assert.ok(scroll <= w, `the page scrolls sideways at ${width} px: ${scroll} > ${w}`);
          const vs = await axeViolations(page);
          assert.equal(vs.length, 0, describeViolations(vs));
        });
      });
    }
  }
}
