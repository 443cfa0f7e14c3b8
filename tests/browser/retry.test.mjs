// Retrying a report after a failed submission sends what is on the screen
// now. Unchanged, the retry repeats the Idempotency-Key, so an attempt whose
// answer was lost returns its case rather than making a second one; edited
// after the failure, the draft is a new report attempt: the retry carries
// the edited words and a new key (the server refuses a key reused for
// another body).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T, env, setup, withPage, gridPoint } from './harness.mjs';

setup();

const resident = '19900000001';
const GRID = '420102001001001';

// draftReport logs the resident in and fills the report page up to the
// words (the place by GPS, the first category the search for rubbish finds).
async function draftReport(page, words) {
  await page.goto(`${env.base}/login?next=${encodeURIComponent('/report?lang=en')}`, { waitUntil: 'domcontentloaded' });
  await page.locator('#login-phone').fill(resident);
  await page.locator('#login-password').fill('civicgrid-demo');
  await Promise.all([page.waitForURL(/\/report/), page.locator('form.login button[type="submit"]').click()]);
  await page.locator('#report-form[data-state="ready"]').waitFor();
  await page.locator('#use-location').click();
  await page.locator(`#place-status[data-grid="${GRID}"]`).waitFor();
  await page.locator('#step-1 [data-next="2"]').click();
  await page.locator('#cat-search').fill('rubbish'); // categories are folded under headings
  await page.locator('label.cat:visible').first().click();
  await page.locator('#step-2 [data-next="3"]').click();
  await page.locator('#report-description').fill(words);
}

// recordAttempts answers POST /api/v1/cases by how(n, route) for the n-th
// attempt (0-based) and records each attempt's key, body and answer.
async function recordAttempts(page, how) {
  const attempts = [];
  await page.route('**/api/v1/cases', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const a = { key: route.request().headers()['idempotency-key'], sent: JSON.parse(route.request().postData()) };
    attempts.push(a);
    return how(attempts.length - 1, route, a);
  });
  return attempts;
}

const mine = (page) => page.evaluate(async () => (await (await fetch('/api/v1/cases?mine=reported')).json()).cases);

test('an edit after a failed submission is what the retry sends, under a new key', { timeout: T }, async () => {
  await env.context.grantPermissions(['geolocation'], { origin: env.base });
  const { latitude, longitude } = await gridPoint(GRID);
  await env.context.setGeolocation({ latitude, longitude });
  await withPage('report-retry-edited-360-en', { width: 360, height: 740 }, async (page) => {
    page.removeAllListeners('console'); // the failed attempt logs a network error
    await draftReport(page, 'Broken bench by the gate');
    const before = (await mine(page)).length;
    // The first attempt never reaches the server.
    const attempts = await recordAttempts(page, async (n, route, a) => {
      if (n === 0) return route.abort('internetdisconnected');
      const res = await route.fetch();
      a.status = res.status();
      return route.fulfill({ response: res });
    });
    await page.locator('#report-submit').click();
    await page.locator('#report-alert', { hasText: 'network failed' }).waitFor();
    // The resident corrects the words, then sends again.
    await page.locator('#report-description').fill('Broken bench by the north gate, sharp edge');
    await Promise.all([page.waitForURL(/\/cases\/\d+\?receipt=1$/), page.locator('#report-submit').click()]);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0].sent.description, 'Broken bench by the gate');
    assert.equal(attempts[1].sent.description, 'Broken bench by the north gate, sharp edge', 'the retry sent the old words');
    assert.notEqual(attempts[1].key, attempts[0].key, 'an edited draft reused the key of the first attempt');
    assert.equal(attempts[1].status, 201);
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    const c = await page.evaluate(async (n) => (await (await fetch(`/api/v1/cases/${n}`)).json()), id);
    assert.equal(c.description, 'Broken bench by the north gate, sharp edge');
    assert.equal((await mine(page)).length, before + 1);
  });
});

test('an unchanged retry after a lost answer repeats the key and gets the first case back', { timeout: T }, async () => {
  await withPage('report-retry-unchanged-360-en', { width: 360, height: 740 }, async (page) => {
    page.removeAllListeners('console');
    await draftReport(page, 'Streetlight out at the corner');
    const before = (await mine(page)).length;
    // The first attempt makes the case, but its answer is lost.
    const attempts = await recordAttempts(page, async (n, route, a) => {
      const res = await route.fetch();
      a.status = res.status();
      if (n === 0) return route.abort('connectionreset');
      return route.fulfill({ response: res });
    });
    await page.locator('#report-submit').click();
    await page.locator('#report-alert', { hasText: 'network failed' }).waitFor();
    await Promise.all([page.waitForURL(/\/cases\/\d+\?receipt=1$/), page.locator('#report-submit').click()]);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0].status, 201);
    assert.equal(attempts[1].key, attempts[0].key, 'an unchanged retry used another key');
    assert.deepEqual(attempts[1].sent, attempts[0].sent);
    assert.equal(attempts[1].status, 200, 'the retry made a second case');
    assert.equal((await mine(page)).length, before + 1);
  });
});
