// Co-governance meetings (议事会) in the pages: the secretary schedules a
// meeting on a phone from a proposal on the agenda and sees the door code
// and the roll; a resident signs in with the code in elderly mode; the
// secretary records the decision and publishes the minutes (in English);
// the proposal's page shows the meeting and its decision, and the
// community's notice board the minutes; before, the secretary moves the
// meeting with a reason the resident reads and attaches a PDF — at 360 px
// without sideways scrolling and without serious accessibility violations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON } from './harness.mjs';

setup();

const resident = '19900000001';
const secretary = '19900000007';
const phone = { width: 360, height: 740 };
const state = { proposal: 0, meeting: 0, code: '' };

// tinyPDF writes a one-page PDF (as notices.test.mjs does).
function tinyPDF(text) {
  const content = `BT /F1 18 Tf 20 70 Td (${text}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objs.map((o, i) => { const at = out.length; out += `${i + 1} 0 obj\n${o}\nendobj\n`; return at; });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('the secretary schedules a meeting on a phone', { timeout: T }, async () => {
  const sec = await apiJSON(secretary);
  const community = (await sec('GET', '/api/v1/me')).user.grants[0].area_code;
  const { proposal } = await (await apiJSON(resident))('POST', '/api/v1/proposals', { area_code: community, title: '楼道加装扶手（议事会测试）' });
  await sec('POST', `/api/v1/proposals/${proposal.id}/moderate`, { decision: 'accept' });
  state.proposal = proposal.id;
  await withPage('cogov-meeting-schedule-360', phone, async (page) => {
    await logInAs(page, secretary, '/proposals');
    await page.goto(`${env.base}/proposals?lang=zh-CN`);
    const form = page.locator('[data-testid="schedule"]');
    await form.getByLabel('会议名称').fill('十二月居民议事会');
    await form.getByLabel('地点').fill('社区活动室');
    await form.getByLabel('开始时间').fill(new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 11) + '19:00'); // a week ahead
    await form.getByLabel('楼道加装扶手（议事会测试）').check();
    await Promise.all([page.waitForURL(/done=scheduled/), form.getByRole('button', { name: '发布会议通知' }).click()]);
    state.meeting = Number(new URL(page.url()).pathname.split('/').pop());
    state.code = (await page.locator('[data-testid="door-code"] strong').textContent()).trim();
    assert.match(state.code, /^\d{6}$/);
    assert.ok(await page.locator('[data-testid="roll"] li').count() > 0, 'the roll is listed');
    // Move it to another room with a reason, and attach the agenda's papers.
    const move = page.locator('[data-testid="reschedule"]');
    await move.locator('summary').click();
    await move.getByLabel('地点').fill('居委会二楼会议室');
    await move.getByLabel('原因（受邀人会看到）').fill('活动室维修');
    await Promise.all([page.waitForURL(/done=rescheduled/), move.getByRole('button', { name: '改期并通知受邀人' }).click()]);
    assert.match(await page.locator('.cogov-when').textContent(), /居委会二楼会议室/);
    const docs = page.locator('[data-testid="meeting-document-form"]');
    await docs.locator('summary').click();
    await docs.locator('input[type="file"]').setInputFiles({ name: '扶手方案.pdf', mimeType: 'application/pdf', buffer: tinyPDF('Handrail plan') });
    await Promise.all([page.waitForURL(/done=document_added/), docs.getByRole('button', { name: '上传' }).click()]);
    assert.match(await page.locator('[data-testid="meeting-documents"]').textContent(), /扶手方案\.pdf/);
    await noSidewaysScroll(page, 'meeting page (staff)');
    await noSeriousViolations(page, 'meeting page (staff)');
  });
});

test('a resident signs in with the door code in elderly mode', { timeout: T }, async () => {
  await withPage('cogov-meeting-signin-elder-360', phone, async (page) => {
    await logInAs(page, resident, `/meetings/${state.meeting}?elder=1`);
    await page.goto(`${env.base}/meetings/${state.meeting}?elder=1&lang=zh-CN`);
    assert.equal(await page.locator('[data-testid="door-code"]').count(), 0, 'residents do not see the code');
    assert.match(await page.locator('.cogov-history').textContent(), /活动室维修/, 'the reason of the move');
    assert.equal(await page.locator('[data-testid="meeting-document-link"]').count(), 1, 'the papers');
    await page.getByLabel('输入门口展示的签到码').fill(state.code);
    await Promise.all([page.waitForURL(/done=signed_in/), page.getByRole('button', { name: '签到' }).click()]);
    await page.locator('[data-testid="signed-in"]').waitFor();
    await noSidewaysScroll(page, 'meeting page, elderly mode');
    await noSeriousViolations(page, 'meeting page, elderly mode');
  });
});

test('the secretary publishes the minutes; the proposal shows the decision', { timeout: T }, async () => {
  await withPage('cogov-meeting-minutes-en-360', phone, async (page) => {
    await logInAs(page, secretary, `/meetings/${state.meeting}`);
    await page.goto(`${env.base}/meetings/${state.meeting}?lang=en`);
    const form = page.locator('[data-testid="minutes-form"]');
    await form.getByRole('radio', { name: 'adopted', exact: true }).check();
    await form.getByLabel('Note').fill('Ask the street office to fund it');
    await form.getByLabel('Minutes').fill('Residents agreed.');
    await Promise.all([page.waitForURL(/done=minutes/), form.getByRole('button', { name: 'Publish the minutes' }).click()]);
    assert.match(await page.locator('[data-testid="attendance"]').textContent(), /1 signed in of \d+ invited/);
    assert.match(await page.locator('[data-testid="agenda"]').textContent(), /adopted/);
    await noSidewaysScroll(page, 'published minutes');
    await noSeriousViolations(page, 'published minutes');
    await page.goto(`${env.base}/proposals/${state.proposal}?lang=en`);
    assert.match(await page.locator('[data-testid="proposal-meeting"]').textContent(), /adopted.*street office/);
    // The minutes are on the community's public notice board.
    const community = (await (await apiJSON(secretary))('GET', '/api/v1/me')).user.grants[0].area_code;
    await page.goto(`${env.base}/notices/${community}?lang=en`);
    assert.match(await page.locator('[data-testid="board-minutes"]').textContent(), /adopted.*street office/s);
    await noSidewaysScroll(page, 'the board with minutes');
  });
});
