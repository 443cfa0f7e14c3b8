// Courtyards (院落) and the election's withdrawal and cancellation in the
// pages. The community secretary sees the demo courtyard and makes another
// by ticking buildings (one of a courtyard is not offered); a resident of
// the courtyard chooses it as the scope of a proposal on a phone in
// elderly mode; the building head declines the nomination awaiting them;
// the secretary cancels the election with a reason the resident reads.
// zh-CN and English, 360 px and 1280 px, without sideways scrolling and
// without serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const buildingHead = '19900000005';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const wide = { width: 1280, height: 800 };

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('the secretary keeps the courtyards', { timeout: T }, async () => {
  await withPage('yard-staff-1280', wide, async (page) => {
    await logInAs(page, secretary, '/proposals');
    await page.goto(`${env.base}/proposals?lang=zh-CN`);
    await Promise.all([page.waitForURL(/\/courtyards$/), page.locator('[data-testid="yard-link"]').click()]);
    assert.equal(await page.locator('h1').textContent(), '院落');
    await page.locator('[data-testid="courtyard"]').filter({ hasText: '幸福里小院' }).waitFor();
    // The demo courtyard's buildings are not offered to another.
    const taken = page.locator('[data-testid="yard-form"] input[name="building"][disabled]');
    assert.ok(await taken.count() >= 2, 'the courtyard\'s buildings are shown taken');
    const free = page.locator('[data-testid="yard-form"] input[name="building"]:not([disabled])');
    assert.ok(await free.count() >= 1, 'a free building to tick');
    await page.locator('#yd-name').fill('和平院');
    await free.first().check();
    await Promise.all([page.waitForURL(/\/courtyards\/\d+\?done=courtyard_saved/), page.getByRole('button', { name: '保存院落' }).click()]);
    await page.getByText('院落已保存。').waitFor();
    assert.equal(await page.locator('h1').textContent(), '和平院');
    await page.locator('.cogov-history li').first().waitFor();
    await noSidewaysScroll(page, 'courtyard page');
    await noSeriousViolations(page, 'courtyard page');
  });
  await withPage('yard-staff-en-elder-360', phone, async (page) => {
    await logInAs(page, secretary, '/courtyards');
    await page.goto(`${env.base}/courtyards?lang=en&elder=1`);
    assert.equal(await page.locator('h1').textContent(), 'Courtyards');
    await page.locator('[data-testid="yard-form"]').waitFor();
    await noSidewaysScroll(page, 'courtyards, English, elderly mode');
    await noSeriousViolations(page, 'courtyards, English, elderly mode');
    await page.locator('[data-testid="courtyard"] a').first().click();
    await page.locator('[data-testid="yard-buildings"]').waitFor();
    await noSidewaysScroll(page, 'a courtyard, English, elderly mode');
  });
  await withPage('yard-staff-zh-320', { width: 320, height: 640 }, async (page) => {
    await logInAs(page, secretary, '/courtyards');
    for (const q of ['lang=zh-CN', 'lang=zh-CN&elder=1', 'lang=en']) {
      await page.goto(`${env.base}/courtyards?${q}`);
      await page.locator('[data-testid="courtyard"]').first().waitFor();
      await noSidewaysScroll(page, `courtyards at 320 px (${q})`);
    }
  });
});

test('a resident of the courtyard raises a matter in it', { timeout: T }, async () => {
  await withPage('yard-resident-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/proposals');
    await page.goto(`${env.base}/proposals?lang=zh-CN&elder=1`);
    const option = page.locator('#cg-scope option').filter({ hasText: '幸福里小院' });
    assert.equal(await option.count(), 1, 'the courtyard is a scope to choose');
    await page.locator('#cg-scope').selectOption(await option.getAttribute('value'));
    await page.locator('#cg-title').fill('院内增设休息座椅');
    await Promise.all([page.waitForURL(/\/proposals\/\d+\?done=proposed/), page.getByRole('button', { name: '提交议题' }).click()]);
    assert.match(await page.locator('main').textContent(), /幸福里小院/);
    await noSidewaysScroll(page, 'a courtyard proposal, elderly mode');
    await noSeriousViolations(page, 'a courtyard proposal, elderly mode');
  });
  await withPage('yard-resident-en-1280', wide, async (page) => {
    await logInAs(page, resident, '/courtyards');
    await page.goto(`${env.base}/courtyards?lang=en`);
    await page.locator('[data-testid="courtyard"]').first().waitFor();
    assert.equal(await page.locator('[data-testid="yard-form"]').count(), 0, 'a resident keeps no courtyard');
    await noSeriousViolations(page, 'courtyards as a resident');
  });
});

test('a nominee declines; the secretary cancels the election with a reason', { timeout: T }, async () => {
  const asRes = await apiJSON(resident);
  const { elections } = await asRes('GET', '/api/v1/elections');
  const id = elections[0].id;
  await withPage('election-withdraw-elder-360', phone, async (page) => {
    await logInAs(page, buildingHead, `/elections/${id}`);
    await page.goto(`${env.base}/elections/${id}?lang=zh-CN&elder=1`);
    await page.locator('[data-testid="accept"]').waitFor();
    await Promise.all([page.waitForURL(/done=withdrawn/), page.getByRole('button', { name: '撤回我的提名' }).click()]);
    await page.getByText('您的提名已撤回。').waitFor();
    assert.equal(await page.locator('[data-testid="accept"]').count(), 0);
    await noSidewaysScroll(page, 'election after withdrawing, elderly mode');
  });
  await withPage('election-cancel-en-1280', wide, async (page) => {
    await logInAs(page, secretary, `/elections/${id}`);
    await page.goto(`${env.base}/elections/${id}?lang=en`);
    await page.locator('#cg-ec-reason').fill('The two buildings merge their committees; a new election follows.');
    await Promise.all([page.waitForURL(/done=election_cancelled/), page.getByRole('button', { name: 'Cancel this election' }).click()]);
    await page.locator('[data-testid="cancelled"]').waitFor();
    assert.equal(await page.locator('[data-testid="election-status"]').textContent(), 'Cancelled');
    await noSeriousViolations(page, 'cancelled election');
  });
  await withPage('election-cancelled-zh-360', phone, async (page) => {
    await logInAs(page, resident, `/elections/${id}`);
    await page.goto(`${env.base}/elections/${id}?lang=zh-CN`);
    assert.match(await page.locator('[data-testid="cancelled"]').textContent(), /new election follows/);
    assert.equal(await page.locator('[data-testid="nominate-self"]').count(), 0);
    await noSidewaysScroll(page, 'cancelled election at 360 px');
  });
});

test('co-owners on the households page', { timeout: T }, async () => {
  const asRes = await apiJSON(resident);
  const { household } = await asRes('GET', '/api/v1/me/household');
  await withPage('hh-co-owners-elder-360', phone, async (page) => {
    await logInAs(page, secretary, `/buildings/${household.area_code}/households`);
    await page.goto(`${env.base}/buildings/${household.area_code}/households?lang=zh-CN&elder=1`);
    await page.locator('[data-testid="hh-co-owners"]').first().waitFor();
    assert.doesNotMatch(await page.locator('main').textContent(), /1990000000\d/);
    await noSidewaysScroll(page, 'households with co-owners, elderly mode');
  });
});

async function photo(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 640; c.height = 480;
    const x = c.getContext('2d');
    x.fillStyle = '#5d4037'; x.fillRect(0, 0, 640, 480);
    x.fillStyle = '#fbc02d'; x.fillRect(80, 80, 480, 240);
    return c.toDataURL('image/jpeg', 0.9).split(',')[1];
  });
  return { name: 'meeting.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(b64, 'base64') };
}

test('a courtyard meeting publishes its minutes with a photo', { timeout: T }, async () => {
  const sec = await apiJSON(secretary);
  const { courtyards } = await sec('GET', '/api/v1/courtyards');
  const yard = courtyards.find((c) => c.name === '幸福里小院');
  const { proposals } = await sec('GET', '/api/v1/proposals');
  const p = proposals.find((x) => x.courtyard_id === yard.id);
  await sec('POST', `/api/v1/proposals/${p.id}/moderate`, { decision: 'accept' });
  const { meeting } = await sec('POST', '/api/v1/meetings', { courtyard_id: yard.id, title: '小院议事会', place: '院内凉亭',
    starts_at: new Date(Date.now() + 3600_000).toISOString(), agenda: [p.id] });
  assert.equal(meeting.courtyard_id, yard.id);
  await withPage('yard-meeting-minutes-1280', wide, async (page) => {
    await logInAs(page, secretary, `/meetings/${meeting.id}`);
    await page.goto(`${env.base}/meetings/${meeting.id}?lang=zh-CN`);
    const form = page.locator('[data-testid="minutes-form"]');
    await form.getByRole('radio', { name: '通过', exact: true }).check();
    await page.locator('#cg-minutes-text').fill('院内居民一致同意。');
    await page.locator('#cg-minutes-photo').setInputFiles(await photo(page));
    await page.locator('input[type="hidden"][name="photos"]').waitFor({ state: 'attached' });
    await Promise.all([page.waitForURL(/done=minutes/), form.getByRole('button', { name: '公布纪要' }).click()]);
    assert.equal(await page.locator('[data-testid="meeting-photos"] img').count(), 1, 'the photo is published with the minutes');
    assert.match(await page.locator('main').textContent(), /幸福里小院/);
    await noSeriousViolations(page, 'minutes with a photo');
  });
  await withPage('yard-meeting-resident-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/meetings/${meeting.id}`);
    await page.goto(`${env.base}/meetings/${meeting.id}?lang=en&elder=1`);
    assert.equal(await page.locator('[data-testid="meeting-photos"] img').count(), 1);
    await noSidewaysScroll(page, 'minutes with a photo, elderly mode');
  });
});
