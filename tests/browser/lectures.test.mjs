// Lectures (宣讲) end to end in the pages: community staff post a small
// lecture at a desk; the resident signs up on a phone in elderly mode and
// sees their entry QR code; the volunteer, arriving when it is full, waits
// first in line; at the door staff type the resident's code on the scanner
// page (the camera fallback) and see them checked in; a second scan of the
// same code is refused; the resident then rates the lecture; the public
// calendar feed lists it — at 360 px without sideways scrolling and without
// serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const volunteer = '19900000003';
const staff = '19900000006';
const phone = { width: 360, height: 740 };
const desk = { width: 1280, height: 800 };
const state = { id: 0, ticket: '', community: '' };

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

// The start in the form's datetime-local format, China time, half an hour
// from now (the door opens an hour before the start).
function soon() {
  const t = new Date(Date.now() + 30 * 60_000 + 8 * 3600_000);
  return t.toISOString().slice(0, 16);
}

test('community staff post a lecture with one place', { timeout: T }, async () => {
  await withPage('lecture-post-desk', desk, async (page) => {
    await logInAs(page, staff, '/lectures');
    await page.goto(`${env.base}/lectures`);
    const form = page.getByTestId('post-lecture');
    if (!(await form.isVisible())) await page.locator('details.lecture-post summary').click();
    await page.locator('#lec-title').fill('垃圾分类新规宣讲');
    await page.locator('#lec-speakers').fill('社区宣讲团');
    // The speakers' lecture team (宣讲团) of the community, from the
    // volunteer teams (the demo forms one).
    await page.locator('#lec-team').selectOption({ label: '社区理论宣讲团' });
    await page.locator('#lec-place').fill('社区活动室');
    await page.locator('#lec-start').fill(soon());
    await page.locator('#lec-capacity').fill('1');
    state.community = await page.locator('#lec-scope').inputValue();
    await Promise.all([page.waitForURL(/\/lectures\/\d+/), form.locator('button[type="submit"]').click()]);
    state.id = Number(new URL(page.url()).pathname.split('/')[2]);
    await page.getByText('活动已发布').waitFor();
    await page.getByTestId('seats').getByText('剩余 1 / 共 1').waitFor();
    await page.getByTestId('run').waitFor();
    await page.getByTestId('team').getByText('社区理论宣讲团').waitFor();
    await noSeriousViolations(page, 'lecture page for staff');
  });
});

test('the resident signs up on a phone in elderly mode and sees their entry code', { timeout: T }, async () => {
  await withPage('lecture-ticket-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/lectures?elder=1');
    await page.goto(`${env.base}/lectures?elder=1&lang=zh-CN`);
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')), 'elderly mode');
    const card = page.locator(`[data-testid="lectures"] li[data-id="${state.id}"]`);
    await card.getByText('垃圾分类新规宣讲').waitFor();
    await noSidewaysScroll(page, 'lecture list, elderly mode');
    await Promise.all([page.waitForURL(/\/lectures\/\d+/), card.getByRole('button', { name: '报名' }).click()]);
    await page.getByText('报名成功').waitFor();
    const ticket = page.getByTestId('ticket');
    await ticket.getByText('您已报名，有座位').waitFor();
    state.ticket = (await page.getByTestId('ticket-code').textContent()).trim();
    assert.match(state.ticket, /^[2-9A-Z]{10}$/);
    // The QR code is an image the phone draws (a PNG from the server).
    const size = await ticket.locator('img.qr').evaluate(async (img) => { await img.decode(); return img.naturalWidth; });
    assert.ok(size >= 200, `QR code ${size}px wide`);
    await noSidewaysScroll(page, 'ticket, elderly mode');
    await noSeriousViolations(page, 'ticket page');
  });
});

test('the volunteer arriving when it is full waits first in line', { timeout: T }, async () => {
  await withPage('lecture-waiting-en-360', phone, async (page) => {
    await logInAs(page, volunteer, `/lectures/${state.id}?lang=en`);
    await page.goto(`${env.base}/lectures/${state.id}?lang=en`);
    await Promise.all([page.waitForURL(/done=signup/), page.getByRole('button', { name: 'Full: join the waiting list' }).click()]);
    await page.getByText('You are number 1 on the waiting list').first().waitFor();
    assert.equal(await page.getByTestId('ticket-code').count(), 0, 'a waiting person has no entry code');
    await noSidewaysScroll(page, 'waiting, English');
  });
});

test('staff check the resident in at the door by typing the code; a second scan is refused', { timeout: T }, async () => {
  await withPage('lecture-scan-360', phone, async (page) => {
    await logInAs(page, staff, `/lectures/${state.id}/scan`);
    await page.goto(`${env.base}/lectures/${state.id}/scan`);
    await page.locator('#lec-ticket-input').fill(state.ticket.toLowerCase());
    await Promise.all([page.waitForURL(/done=checked_in/), page.getByTestId('check-in').locator('button[type="submit"]').click()]);
    await page.getByTestId('checked').getByText('签到成功').waitFor();
    await page.getByText('已到 1 人 / 已报名 1 人').waitFor();
    await noSidewaysScroll(page, 'scanner');
    await noSeriousViolations(page, 'scanner');
    await page.locator('#lec-ticket-input').fill(state.ticket);
    await Promise.all([page.waitForURL(/failed=conflict/), page.getByTestId('check-in').locator('button[type="submit"]').click()]);
    await page.getByText('情况已变化').waitFor();
  });
});

test('the resident rates the lecture after attending; the calendar feed lists it', { timeout: T }, async () => {
  await withPage('lecture-feedback-360', phone, async (page) => {
    await logInAs(page, resident, `/lectures/${state.id}`);
    await page.goto(`${env.base}/lectures/${state.id}`);
    await page.getByTestId('checked-in').waitFor();
    await page.getByTestId('feedback').getByText('★★★★ 满意', { exact: true }).click();
    await page.locator('#lec-comment').fill('讲得很清楚');
    await Promise.all([page.waitForURL(/done=feedback/), page.getByTestId('feedback').locator('button[type="submit"]').click()]);
    await page.getByText('感谢您的评价').waitFor();
  });
  // The resident's own attendance, on a phone in elderly mode.
  await withPage('lecture-attended-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/lectures?elder=1');
    await page.goto(`${env.base}/lectures?elder=1&lang=zh-CN`);
    const attended = page.getByTestId('attended');
    await attended.getByText('我参加过的宣讲').waitFor();
    await attended.getByRole('link', { name: '垃圾分类新规宣讲' }).waitFor();
    await noSidewaysScroll(page, 'attended lectures, elderly mode');
    await noSeriousViolations(page, 'attended lectures');
  });
  // Staff see the lecture team's lectures and attendance, at a desk in
  // English; the API gives the same per team and month.
  await withPage('lecture-team-stats-en-1280', desk, async (page) => {
    await logInAs(page, staff, '/lectures?lang=en');
    await page.goto(`${env.base}/lectures?lang=en`);
    const stats = page.getByTestId('team-stats');
    await stats.getByText('社区理论宣讲团').first().waitFor();
    await stats.getByText(/1 present/).first().waitFor();
    await noSeriousViolations(page, 'team stats');
    // Beside the case indicators, the lectures held in the scope and period
    // and their attendance (when the lecture starts today, China time).
    await page.goto(`${env.base}/dashboard?days=30&lang=en`);
    const lectures = page.getByTestId('dash-lectures');
    await lectures.getByText('Lectures held').waitFor();
    const chinaDay = (ms) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
    if (chinaDay(Date.now()) === chinaDay(Date.now() + 30 * 60_000)) {
      const att = lectures.locator('.rate').filter({ hasText: 'Lecture attendance' });
      assert.match(await att.locator('.rate-fraction').innerText(), /^1 \/ 1$/);
      assert.match(await att.locator('.rate-value').innerText(), /100\.0%/);
    }
  });
  await withPage('lecture-dashboard-elder-360', phone, async (page) => {
    await logInAs(page, staff, '/dashboard?elder=1');
    await page.goto(`${env.base}/dashboard?days=30&lang=zh-CN&elder=1`);
    await page.getByTestId('dash-lectures').getByText('宣讲活动场次').waitFor();
    await noSidewaysScroll(page, 'dashboard with lectures, elderly mode');
  });
  const staffAPI = await apiJSON(staff);
  const { signups } = await staffAPI('GET', `/api/v1/lectures/${state.id}/signups`);
  assert.equal(signups.length, 2);
  assert.equal(signups[0].rating, 4);
  assert.ok(!signups.some((s) => s.ticket), 'the staff list carries no tickets');
  const ics = await (await fetch(`${env.base}/api/v1/lectures.ics?area=${state.community}`)).text();
  assert.match(ics, /BEGIN:VCALENDAR\r\n/);
  assert.match(ics, /SUMMARY:垃圾分类新规宣讲\r\n/);
  assert.ok(!ics.includes(state.ticket), 'the feed carries no tickets');
  const month = new Date(Date.now() + 30 * 60_000 + 8 * 3600_000).toISOString().slice(0, 7); // the lecture's month, China time
  const [y, m] = month.split('-').map(Number);
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  const { teams } = await staffAPI('GET', `/api/v1/lectures/stats/teams?area=${state.community}&from=${month}&to=${next}`);
  const team = teams.find((t) => t.team === '社区理论宣讲团' && t.month === month);
  assert.ok(team, `the team's month: ${JSON.stringify(teams)}`);
  assert.equal(team.attended, 1);
  assert.equal(team.rated, 1);
  assert.equal(team.rating_mean, 4);
});
