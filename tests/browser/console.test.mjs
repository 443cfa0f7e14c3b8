// Browser tests of the console at scale with the demo accounts: a compact
// list with the chosen case in a pane, the keyboard (j/k, Enter, r, x, d, ?),
// batch register and dispatch, and reject asking for a reason and a
// confirmation with nothing chosen beforehand. Then the console and the
// queue at 360 and 1280 px, zh-CN and en, normal and elderly mode:
// screenshots, axe, and no sideways scrolling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, axeViolations, describeViolations, reportOverAPI, logIn } from './harness.mjs';

setup();

const password = 'civicgrid-demo';
const resident = '19900000001';
const staff = '19900000006'; // community staff: triage and dispatch
const gridWorker = '19900000004';
const GRID = '420102001001001';

const state = { ids: [] };

async function noSidewaysScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what} scrolls sideways: ${scroll} > ${width} px`);
}

async function gridCentre() {
  const a = await (await fetch(`${env.base}/api/v1/areas/${GRID}`)).json();
  const ring = a.geometry.type === 'Polygon' ? a.geometry.coordinates[0] : a.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  return { lng: pts.reduce((s, p) => s + p[0], 0) / pts.length, lat: pts.reduce((s, p) => s + p[1], 0) / pts.length };
}

test('staff work the console with the pane, the keyboard and batches', { timeout: 4 * T }, async () => {
  const c = await gridCentre();
  for (let i = 0; i < 5; i++) {
    const k = await reportOverAPI(resident, { lat: c.lat + 0.00005 * i, lng: c.lng, description: `控制台测试 ${i}` });
    state.ids.push(k.id);
  }
  const [first, second, third, fourth, fifth] = state.ids;
  await withPage('console-keyboard-1280', { width: 1280, height: 800 }, async (page) => {
    await logIn(page, staff, '/console?lang=zh-CN&elder=0');
    const rows = page.locator('#case-rows .console-row');
    assert.ok(await rows.count() >= 5, 'the new reports are not listed');
    // One line per case: no forms in the list, and each row is short.
    assert.equal(await page.locator('#case-rows form').count(), 0);
    const h = await rows.first().evaluate((el) => el.getBoundingClientRect().height);
    assert.ok(h < 70, `a row is ${h} px high`);
    // The area by name, its code on hover.
    const area = page.locator(`[data-case="${first}"] .row-area`);
    assert.equal(await area.getAttribute('title'), GRID);
    assert.doesNotMatch(await area.innerText(), /^\d+$/);

    // Clicking a case opens it in the pane without leaving the page.
    await page.locator(`[data-case="${first}"] .row-link`).click();
    await page.locator(`#pane [data-case="${first}"]`).waitFor();
    assert.match(page.url(), new RegExp(`case=${first}`));

    // Reject asks for a reason and a confirmation; nothing is chosen.
    const reject = page.locator('#pane form[data-action="reject"]');
    assert.equal(await reject.locator('select[name="reason"]').inputValue(), '');
    assert.equal(await reject.locator('input[name="confirm"]').isChecked(), false);
    await reject.locator('select[name="reason"]').selectOption({ index: 1 });
    await reject.locator('button[type="submit"]').click();
    assert.equal(await reject.locator('input[name="confirm"]').evaluate((el) => el.validity.valueMissing), true);
    assert.doesNotMatch(page.url(), /done=/, 'rejected without a confirmation');
    const merge = page.locator('#pane form[data-action="merge"]');
    assert.equal(await merge.locator('input[name="confirm"][required]').count(), 1);

    // ? shows the shortcuts; j moves, Enter opens, r registers the open case.
    await page.locator('h1').click();
    await page.keyboard.press('?');
    assert.equal(await page.locator('#shortcuts').evaluate((el) => el.open), true);
    await page.keyboard.press('Escape');
    await page.locator(`[data-case="${first}"] .row-link`).focus();
    const order = await rows.evaluateAll((els) => els.map((el) => Number(el.dataset.case)));
    const at = order.indexOf(first);
    await page.keyboard.press('j');
    const below = order[at + 1];
    assert.equal(await page.evaluate(() => document.activeElement.closest('[data-case]').dataset.case), String(below));
    await page.keyboard.press('k');
    await page.keyboard.press('Enter');
    await page.locator(`#pane [data-case="${first}"]`).waitFor();
    await Promise.all([page.waitForURL(/done=register/), page.keyboard.press('r')]);
    assert.equal(await page.locator(`#case-rows [data-case="${first}"]`).count(), 0, 'the registered case is still to register');

    // Batch: check two with x and the mouse, register them at once.
    await page.locator(`[data-case="${second}"] .row-link`).focus();
    await page.keyboard.press('x');
    await page.locator(`#pick-${third}`).check();
    assert.match(await page.locator('#batch-count').innerText(), /2/);
    await Promise.all([page.waitForURL(/done=register/), page.locator('button[data-batch="register"]').click()]);
    assert.match(await page.getByTestId('flash').innerText(), /2/);

    // The dispatch list: check the three, d dispatches them to the default.
    await page.goto(`${env.base}/console?tab=dispatch`, { waitUntil: 'networkidle' });
    for (const id of [first, second, third]) await page.locator(`#pick-${id}`).check();
    await Promise.all([page.waitForURL(/done=dispatch/), page.keyboard.press('d')]);
    assert.equal(await page.locator('[data-testid="flash-error"]').count(), 0);
    for (const id of [fourth, fifth]) assert.ok(id > 0);
  });
  const api = await fetch(`${env.base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone: staff, password }) });
  const cookie = api.headers.getSetCookie().map((x) => x.split(';')[0]).join('; ');
  for (const id of state.ids.slice(0, 3)) {
    const got = await (await fetch(`${env.base}/api/v1/cases/${id}`, { headers: { Cookie: cookie } })).json();
    assert.equal(got.status, 'dispatched', `case ${id}`);
  }
});

test('the console works without JavaScript: the pane is a page of its own', { timeout: T }, async () => {
  const page = await env.context.newPage();
  try {
    await env.context.clearCookies();
    await page.route('**/*.js', (route) => route.abort());
    const id = state.ids[3];
    await logIn(page, staff, '/console?lang=en&elder=0');
    await page.locator(`[data-case="${id}"] .row-link`).click();
    await page.waitForURL(new RegExp(`case=${id}`));
    await page.locator(`#pane [data-case="${id}"] form[data-action="register"]`).waitFor();
  } finally {
    await page.close();
  }
});

const LONG = 360_000; // per-test limit (see T in harness.mjs)
for (const [width, height] of [[360, 740], [1280, 800]]) {
  for (const lang of ['zh-CN', 'en']) {
    for (const elder of [0, 1]) {
      test(`console and queue at ${width} px, ${lang}${elder ? ', elderly mode' : ''}`, { timeout: LONG }, async () => {
        const suffix = `${width}-${lang}${elder ? '-elder' : ''}`;
        const q = `lang=${lang}&elder=${elder}`;
        const shots = [
          { name: `console-list-${suffix}`, who: staff, path: `/console?${q}` },
          { name: `console-pane-${suffix}`, who: staff, path: `/console?case=${state.ids[3]}&${q}` },
          { name: `console-dispatch-${suffix}`, who: staff, path: `/console?tab=dispatch&${q}` },
          { name: `queue-paged-${suffix}`, who: gridWorker, path: `/queue?${q}` },
        ];
        for (const s of shots) {
          await withPage(s.name, { width, height }, async (page) => {
            await logIn(page, s.who, s.path);
            assert.equal(await page.locator('h1').count(), 1);
            await noSidewaysScroll(page, `${s.path} at ${width} px`);
            const vs = await axeViolations(page);
            assert.equal(vs.length, 0, describeViolations(vs));
          });
        }
      });
    }
  }
}
