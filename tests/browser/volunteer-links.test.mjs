// Volunteer service: the sign-in code's lock-out, the links between cases
// and requests, and staff's certificate form, in the pages.
//  1. A volunteer types five wrong sign-in codes: the sixth try, with the
//     right code, is refused (429); staff see the lock on the request's page
//     and issue a new code, which the resident reads on their phone and which
//     works at once.
//  2. A grid worker turns a resident's case into a volunteer request on the
//     case page; the request links back to the case for staff, while the
//     resident who reported the case sees no request; staff turn a
//     resident's request into a case, and the resident sees no case number.
//  3. Staff issue a certificate for the volunteer from the certificates page.
// At 360 px (zh-CN, elderly mode) and 1280 px (English), without sideways
// scrolling or serious accessibility violations.
import { test } from 'node:test';
import path from 'node:path';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON, apiSession } from './harness.mjs';

setup();

const resident = '19900000001';
const volunteer = '19900000003';
const gridWorker = '19900000004';
const staff = '19900000006';
const phone = { width: 360, height: 740 };
const wide = { width: 1280, height: 900 };
const state = { id: 0, code: '', building: '', here: null, caseID: 0, fromCase: 0, askID: 0 };

const artifactsDir = path.join(import.meta.dirname, '..', '..', 'test-artifacts');

// shot keeps a picture of the page before a step changes it.
async function shot(page, name) {
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

async function buildingPoint() {
  const me = await (await apiJSON(resident))('GET', '/api/v1/me');
  state.building = me.user.grants[0].area_code;
  const area = await (await fetch(`${env.base}/api/v1/areas/${state.building}`)).json();
  const g = area.geometry;
  const pts = g.type === 'Point' ? [g.coordinates] : g.coordinates[0].slice(0, -1);
  state.here = { lng: pts.reduce((s, p) => s + p[0], 0) / pts.length, lat: pts.reduce((s, p) => s + p[1], 0) / pts.length };
}

test('five wrong sign-in codes lock the request; staff issue a new code that works at once', { timeout: T }, async () => {
  await buildingPoint();
  const res = await apiJSON(resident);
  const st = await apiJSON(staff);
  const vol = await apiSession(volunteer);
  const asked = await res('POST', '/api/v1/volunteer/requests', { service: 'repair', building_code: state.building, note: '台灯不亮了' });
  state.id = asked.request.id;
  await st('POST', `/api/v1/volunteer/requests/${state.id}/verify`, { decision: 'accept' });
  const claim = await vol('POST', `/api/v1/volunteer/requests/${state.id}/claim`);
  assert.equal(claim.status, 200, await claim.text());
  const code = (await res('GET', `/api/v1/volunteer/requests/${state.id}`)).request.sign_code;
  assert.match(code, /^\d{6}$/);
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 1; i <= 5; i++) {
    const r = await vol('POST', `/api/v1/volunteer/requests/${state.id}/sign-in`, { code: wrong });
    assert.equal(r.status, 400, `wrong code ${i}`);
  }
  const sixth = await vol('POST', `/api/v1/volunteer/requests/${state.id}/sign-in`, { code });
  assert.equal(sixth.status, 429, 'the right code while locked');
  assert.match(await sixth.text(), /locked: 5 wrong sign-in codes within 15 minutes/);

  // Staff see the lock and why, and issue a new code (English, wide).
  await withPage('volunteer-code-locked-en-1280', wide, async (page) => {
    await logInAs(page, staff, `/volunteer/requests/${state.id}`);
    await page.goto(`${env.base}/volunteer/requests/${state.id}?lang=en`);
    const box = page.locator('[data-testid="code-lock"]');
    assert.match(await box.textContent(), /Locked/);
    assert.match(await box.textContent(), /5 wrong sign-in codes between/);
    await noSeriousViolations(page, 'locked request, staff');
    await shot(page, 'volunteer-code-locked-before-en-1280');
    await page.locator('#vol-code-reason').fill('Codes were being guessed');
    await Promise.all([page.waitForURL(/done=new_code/), box.getByRole('button', { name: 'Issue a new sign-in code' }).click()]);
    await page.getByText('A new sign-in code is issued').first().waitFor();
    assert.equal(await page.locator('[data-testid="code-lock"] [data-locked]').count(), 0, 'no lock after a new code');
    assert.match(await page.locator('[data-testid="history"]').textContent(), /Locked after too many wrong sign-in codes[\s\S]*New sign-in code issued/);
  });

  // The resident reads the new code on their phone, in elderly mode.
  await withPage('volunteer-new-code-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/help');
    await page.goto(`${env.base}/help?elder=1&lang=zh-CN`);
    const shown = page.locator(`[data-testid="my-requests"] li[data-id="${state.id}"] [data-testid="sign-code"] strong`);
    state.code = (await shown.textContent()).trim();
    assert.match(state.code, /^\d{6}$/);
    await noSidewaysScroll(page, 'help page with the new code');
  });
  const fresh = (await res('GET', `/api/v1/volunteer/requests/${state.id}`)).request.sign_code;
  assert.equal(state.code, fresh);
  const signIn = await vol('POST', `/api/v1/volunteer/requests/${state.id}/sign-in`, { code: state.code });
  assert.equal(signIn.status, 200, await signIn.text());
  const signOut = await vol('POST', `/api/v1/volunteer/requests/${state.id}/sign-out`, { code: state.code });
  assert.equal(signOut.status, 200, await signOut.text());
  await res('POST', `/api/v1/volunteer/requests/${state.id}/confirm`, { rating: 5 });
});

test('a grid worker turns a case into a volunteer request; each side links only for its readers', { timeout: T }, async () => {
  const res = await apiSession(resident);
  const cats = (await (await fetch(`${env.base}/api/v1/categories`)).json()).categories;
  const r = await res('POST', '/api/v1/cases', { category: cats[0].code, lat: state.here.lat, lng: state.here.lng, building_code: state.building,
    description: '独居的王阿姨家台灯坏了，需要有人上门修' }, { 'Idempotency-Key': 'links-case-1' });
  assert.equal(r.status, 201, await r.clone().text());
  state.caseID = (await r.json()).case.id;

  await withPage('volunteer-case-to-request-elder-360', phone, async (page) => {
    await logInAs(page, gridWorker, `/cases/${state.caseID}`);
    await page.goto(`${env.base}/cases/${state.caseID}?elder=1&lang=zh-CN`);
    const form = page.locator('[data-testid="case-to-request"]');
    await form.getByText('转为志愿服务需求').first().waitFor();
    await page.locator('#tr-service').selectOption('repair');
    await page.locator('#tr-who').fill('王阿姨');
    await page.locator('#tr-phone').fill('13900002222');
    await noSidewaysScroll(page, 'case page with the request form');
    await noSeriousViolations(page, 'case page with the request form');
    await shot(page, 'volunteer-case-form-elder-360');
    await Promise.all([page.waitForURL(/\/volunteer\/requests\/\d+\?done=from_case/), form.getByRole('button', { name: '发布志愿服务需求' }).click()]);
    state.fromCase = Number(new URL(page.url()).pathname.split('/').pop());
    assert.match(await page.locator('[data-testid="request-case"]').textContent(), new RegExp(`${state.caseID}`));
    await page.locator('[data-testid="request-case"] a').click();
    await page.waitForURL(new RegExp(`/cases/${state.caseID}`));
    assert.equal(await page.locator('[data-testid="case-request"]').getAttribute('href'), `/volunteer/requests/${state.fromCase}`);
    assert.equal(await page.locator('[data-testid="case-to-request"]').count(), 0, 'no second form once linked');
  });
  // The resident reported the case but may not read the request made for
  // 王阿姨: no request on the case page.
  await withPage('volunteer-case-resident-360', phone, async (page) => {
    await logInAs(page, resident, `/cases/${state.caseID}`);
    await page.goto(`${env.base}/cases/${state.caseID}?lang=zh-CN`);
    await page.locator('h1').waitFor();
    assert.equal(await page.locator('[data-testid="case-request"]').count(), 0);
    assert.equal(await page.locator('[data-testid="case-to-request"]').count(), 0);
  });

  // Staff turn a resident's request into a case ("a public-facility problem").
  const asked = await (await apiJSON(resident))('POST', '/api/v1/volunteer/requests', { service: 'repair', building_code: state.building, note: '楼道的灯坏了' });
  state.askID = asked.request.id;
  await withPage('volunteer-request-to-case-en-1280', wide, async (page) => {
    await logInAs(page, staff, `/volunteer/requests/${state.askID}`);
    await page.goto(`${env.base}/volunteer/requests/${state.askID}?lang=en`);
    const form = page.locator('[data-testid="to-case"]');
    await form.getByText('Turn into a case').first().waitFor();
    await noSeriousViolations(page, 'request page with the case form');
    await shot(page, 'volunteer-to-case-form-en-1280');
    await Promise.all([page.waitForURL(/\/cases\/\d+/), form.getByRole('button', { name: 'Turn into a case' }).click()]);
    assert.match(await page.locator('.pre').first().textContent(), /楼道的灯坏了/);
    assert.equal(await page.locator('[data-testid="case-request"]').getAttribute('href'), `/volunteer/requests/${state.askID}`);
  });
  // The resident may read their request, not the case staff reported: it is
  // closed, with no case number.
  await withPage('volunteer-request-closed-resident-360', phone, async (page) => {
    await logInAs(page, resident, `/volunteer/requests/${state.askID}`);
    await page.goto(`${env.base}/volunteer/requests/${state.askID}?elder=1&lang=zh-CN`);
    const text = await page.locator('[data-testid="help-request"]').textContent();
    assert.match(text, /转为案件/);
    assert.equal(await page.locator('[data-testid="request-case"]').count(), 0);
    assert.doesNotMatch(await page.content(), /\/cases\/\d+/);
    await noSidewaysScroll(page, 'closed request, resident');
  });
});

test('staff issue a certificate for a volunteer from the certificates page', { timeout: T }, async () => {
  for (const [name, size, lang, elder] of [['volunteer-certify-for-elder-360', phone, 'zh-CN', true], ['volunteer-certify-for-en-1280', wide, 'en', false]]) {
    await withPage(name, size, async (page) => {
      await logInAs(page, staff, '/volunteer/certificates');
      await page.goto(`${env.base}/volunteer/certificates?lang=${lang}${elder ? '&elder=1' : ''}`);
      const form = page.locator('[data-testid="certify-for"]');
      await form.locator('select').waitFor();
      await noSidewaysScroll(page, `certificates page, ${lang}`);
      await noSeriousViolations(page, `certificates page, ${lang}`);
      assert.equal(await page.locator('h1').textContent(), lang === 'en' ? 'Volunteer service certificates' : '志愿服务证明');
      assert.equal(await page.locator('[data-testid="certify"]').count(), 0, 'staff, not a volunteer: no form for their own');
      if (lang !== 'en') return;
      await shot(page, 'volunteer-certify-for-form-en-1280');
      const options = await form.locator('option').allTextContents();
      const i = options.findIndex((o) => o.includes('演'));
      assert.ok(i >= 0, `the demo volunteer among ${options}`);
      await form.locator('select').selectOption({ index: i });
      await Promise.all([page.waitForURL(/\/volunteer\/certificates\/\d+\?done=certified/), form.getByRole('button', { name: 'Issue the certificate' }).click()]);
      assert.match(await page.locator('[data-testid="cert-records"]').textContent(), new RegExp(`#?${state.id}|Small repairs`));
    });
  }
});
