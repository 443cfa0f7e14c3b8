// Volunteer service end to end in the pages: a resident asks for help on a
// phone in elderly mode, community staff check and publish it, volunteer A
// takes it on the page while volunteer B's claim over the API is refused as
// taken, A signs in and out at the building (the phone's position), the
// resident confirms and rates, and A's hours appear — at 360 px without
// sideways scrolling and without serious accessibility violations.
import { test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import assert from 'node:assert/strict';
import { env, setup, withPage, axeViolations, describeViolations, T, logInAs, noSidewaysScroll, apiJSON, apiSession } from './harness.mjs';

setup();

const resident = '19900000001';
const volunteerA = '19900000003';
const staff = '19900000006';
const secretary = '19900000007';
const volunteerB = { phone: '13700009999', password: 'Volunteer-B-2026' };
const phone = { width: 360, height: 740 };
const state = { id: 0 };
const artifactsDir = path.join(import.meta.dirname, '..', '..', 'test-artifacts');

async function noSeriousViolations(page, what) {
  const vs = await axeViolations(page);
  assert.deepEqual(vs, [], `${what}: ${describeViolations(vs)}`);
}

test('a resident asks for help in three steps on a phone, in elderly mode', { timeout: T }, async () => {
  await withPage('volunteer-ask-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/help?elder=1');
    await page.goto(`${env.base}/help?elder=1&lang=zh-CN`);
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains('elder')), 'elderly mode');
    assert.equal(await page.locator('h1').textContent(), '请志愿者帮忙');
    await page.getByText('第 1 步：需要什么帮助').waitFor();
    await page.getByLabel('代购').check();
    await page.locator('#vol-address').fill('3单元502');
    await page.locator('#vol-contact').fill('13900001234');
    await page.locator('#vol-note').fill('买一袋米和一桶油');
    await noSidewaysScroll(page, 'ask page, elderly mode');
    await noSeriousViolations(page, 'ask page');
    await Promise.all([page.waitForURL(/done=asked/), page.getByRole('button', { name: '提交求助' }).click()]);
    await page.getByText('求助已提交').first().waitFor();
    const card = page.locator('[data-testid="my-requests"] li').first();
    state.id = Number(await card.getAttribute('data-id'));
    assert.match(await card.textContent(), /待社区核实/);
  });
});

test('community staff check it and publish it to volunteers', { timeout: T }, async () => {
  await withPage('volunteer-verify-360', phone, async (page) => {
    await logInAs(page, staff, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=zh-CN`);
    const card = page.locator(`[data-testid="pending"] li[data-id="${state.id}"]`);
    assert.match(await card.textContent(), /3单元502/); // staff see the address
    await Promise.all([page.waitForURL(/done=accept/), card.getByRole('button', { name: '核实通过，发布给志愿者' }).click()]);
    await noSidewaysScroll(page, 'verify list');
  });
});

test('volunteer A takes it while B is told it is taken; A signs in and out at the building', { timeout: T }, async () => {
  // Volunteer B, a second volunteer of the community, made by the secretary.
  const sec = await apiJSON(secretary);
  const community = (await sec('GET', '/api/v1/me')).user.grants[0].area_code;
  await sec('POST', '/api/v1/users', { name: '志愿者乙', phone: volunteerB.phone, password: volunteerB.password,
    grants: [{ role: 'volunteer', area_code: community }] });
  const b = await apiSession(volunteerB.phone, volunteerB.password);

  const me = await (await apiJSON(resident))('GET', '/api/v1/me');
  const building = me.user.grants[0].area_code;
  const area = await (await fetch(`${env.base}/api/v1/areas/${building}`)).json();
  const g = area.geometry;
  const pts = g.type === 'Point' ? [g.coordinates] : g.coordinates[0].slice(0, -1);
  const here = { longitude: pts.reduce((s, p) => s + p[0], 0) / pts.length, latitude: pts.reduce((s, p) => s + p[1], 0) / pts.length };
  await env.context.grantPermissions(['geolocation'], { origin: env.base });
  await env.context.setGeolocation(here);

  await withPage('volunteer-claim-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=zh-CN`);
    await Promise.all([page.waitForURL(/lat=/), page.getByRole('button', { name: '按离我远近排序' }).click()]);
    const card = page.locator(`[data-testid="open-requests"] li[data-id="${state.id}"]`);
    assert.match(await card.textContent(), /距离约 \d+ 米/);
    assert.doesNotMatch(await card.textContent(), /3单元502/, 'the address is hidden before taking it');
    await noSeriousViolations(page, 'open requests');
    await Promise.all([page.waitForURL(/done=claim/), card.getByRole('button', { name: '接单' }).click()]);

    const taken = await b('POST', `/api/v1/volunteer/requests/${state.id}/claim`);
    assert.equal(taken.status, 409, "B's claim");
    assert.match(await taken.text(), /is taken/);

    const mine = page.locator(`[data-testid="my-claims"] li[data-id="${state.id}"]`);
    assert.match(await mine.textContent(), /3单元502/, 'the taker sees the address');
    await Promise.all([page.waitForURL(/done=sign_in/), mine.getByRole('button', { name: '到达签到' }).click()]);
    await Promise.all([page.waitForURL(/done=sign_out/), page.locator(`[data-testid="my-claims"] li[data-id="${state.id}"]`).getByRole('button', { name: '服务结束签退' }).click()]);
    assert.match(await page.locator(`[data-testid="my-claims"] li[data-id="${state.id}"]`).textContent(), /待确认/);
    await noSidewaysScroll(page, 'my claims');
  });
});

test('the resident confirms and rates; the hours appear', { timeout: T }, async () => {
  await withPage('volunteer-confirm-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/help?elder=1');
    await page.goto(`${env.base}/help?elder=1&lang=zh-CN`);
    const card = page.locator(`[data-testid="my-requests"] li[data-id="${state.id}"]`);
    await card.getByLabel('★★★★★ 非常满意').check();
    await Promise.all([page.waitForURL(/done=confirm/), card.getByRole('button', { name: '确认服务完成' }).click()]);
    assert.match(await page.locator(`[data-testid="my-requests"] li[data-id="${state.id}"]`).textContent(), /已完成/);
    await noSidewaysScroll(page, 'my requests, elderly mode');
  });
  await withPage('volunteer-hours-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=zh-CN`);
    assert.match(await page.locator('[data-testid="hours"]').textContent(), /已确认 0\.25 小时/);
    // The time bank: the confirmed service is A's credit this month.
    assert.match(await page.locator('[data-testid="balance"]').textContent(), /时间银行余额：15 分钟/);
    assert.match(await page.locator('[data-testid="statement"]').textContent(), /志愿服务 \+15 分钟/);
    assert.match(await page.locator('[data-testid="stars"]').textContent(), /星级：0 星 · 满 100 小时升下一星/);
    await noSidewaysScroll(page, 'my hours and time bank');
  });
  await withPage('volunteer-hours-en-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=en`);
    assert.match(await page.locator('[data-testid="hours"]').textContent(), /0\.25 hours confirmed/);
    assert.match(await page.locator('[data-testid="balance"]').textContent(), /Time bank balance: 15 minutes/);
    await noSidewaysScroll(page, 'volunteer page in English');
  });
});

test('volunteer A gets a certificate of the hours with its records and a PDF; its code verifies on the public page, anonymously; staff revoke it and the page says so', { timeout: T }, async () => {
  const cert = { code: '', id: 0 };
  await withPage('volunteer-certificate-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer/certificates');
    await page.goto(`${env.base}/volunteer/certificates?lang=zh-CN`);
    await Promise.all([page.waitForURL(/\/volunteer\/certificates\/\d+/), page.getByTestId('certify').getByRole('button', { name: '开具证明' }).click()]);
    cert.id = Number(new URL(page.url()).pathname.split('/').pop());
    const c = page.getByTestId('certificate');
    await c.getByText('志愿服务记录证明').waitFor();
    assert.match(await c.textContent(), /经服务对象确认的服务时长累计 0\.25 小时/);
    assert.match(await c.textContent(), /演示志愿者/, 'the holder sees their own name');
    // Each record: its date, service and hours, and the total.
    const rows = page.getByTestId('cert-records').locator('tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().textContent(), /\d{4}-\d{2}-\d{2}\s*代购\s*0\.25/);
    assert.match(await page.getByTestId('cert-records').locator('tfoot').textContent(), /合计\s*0\.25/);
    cert.code = (await page.getByTestId('cert-code').textContent()).trim();
    assert.match(cert.code, /^[2-9A-Z]{18}$/, 'an 18-character code (about 89 bits)');
    assert.match(await page.getByTestId('cert-history').textContent(), /出具证明/);
    // The PDF, in the page's language.
    const pdf = await page.request.get(`${env.base}/volunteer/certificates/${cert.id}/pdf?lang=zh-CN`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    const body = await pdf.body();
    assert.equal(body.subarray(0, 5).toString(), '%PDF-');
    await writeFile(path.join(artifactsDir, 'volunteer-certificate-zh-CN.pdf'), body);
    const pdfEN = await page.request.get(`${env.base}/volunteer/certificates/${cert.id}/pdf?lang=en`);
    await writeFile(path.join(artifactsDir, 'volunteer-certificate-en.pdf'), await pdfEN.body());
    await noSidewaysScroll(page, 'certificate');
    await noSeriousViolations(page, 'certificate');
  });
  await withPage('volunteer-certificate-en-1280', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, volunteerA, `/volunteer/certificates/${cert.id}`);
    await page.goto(`${env.base}/volunteer/certificates/${cert.id}?lang=en`);
    assert.match(await page.getByTestId('cert-records').textContent(), /Shopping errands/);
    await noSeriousViolations(page, 'certificate in English');
  });
  // The public check, with no session (withPage starts without cookies).
  await withPage('volunteer-certificate-verify-360', phone, async (page) => {
    await page.goto(`${env.base}/verify/certificate/${cert.code}?lang=zh-CN`);
    assert.equal(await page.context().cookies().then((cs) => cs.filter((c) => c.name !== 'lang').length), 0, 'anonymous');
    const ok = page.getByTestId('verified');
    await ok.getByText('证明有效').waitFor();
    const text = await ok.textContent();
    assert.match(text, /0\.25 小时/);
    assert.equal((await page.getByTestId('verify-holder').textContent()).trim(), '演***者', 'the public check masks the name (first and last character)');
    assert.ok(!text.includes('演示志愿者') && !text.includes('代购'), 'no full name, no records');
    await noSidewaysScroll(page, 'verification');
    await noSeriousViolations(page, 'verification');
    // The form's lower-case, spaced code leads to the same page.
    await page.goto(`${env.base}/certificates/verify?code=${encodeURIComponent(cert.code.slice(0, 6).toLowerCase() + ' ' + cert.code.slice(6))}`);
    await page.waitForURL(new RegExp(`/verify/certificate/${cert.code}$`));
    await page.getByTestId('verified').getByText('证明有效').waitFor();
  });
  await withPage('volunteer-certificate-forged-360', phone, async (page) => {
    await page.goto(`${env.base}/verify/certificate/ABCDEFGHJKMNPQRSTU`);
    await page.getByText('没有找到这个查验码对应的证明').waitFor();
    assert.equal(await page.getByTestId('verified').count(), 0);
  }, { expectStatuses: [404] });
  // Community staff (the recording community) revoke it with a reason.
  await withPage('volunteer-certificate-revoke-en-1280', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, staff, `/volunteer/certificates/${cert.id}`);
    await page.goto(`${env.base}/volunteer/certificates/${cert.id}?lang=en`);
    const form = page.getByTestId('cert-revoke');
    await form.getByLabel('Reason for revoking').fill('Issued for the wrong period');
    await Promise.all([page.waitForURL(/done=revoked/), form.getByRole('button', { name: 'Revoke this certificate' }).click()]);
    assert.match(await page.getByTestId('cert-revoked').textContent(), /revoked on .*Issued for the wrong period/);
    assert.equal(await page.getByTestId('cert-revoke').count(), 0);
    assert.match(await page.getByTestId('cert-history').textContent(), /certificate revoked/);
  });
  await withPage('volunteer-certificate-verify-revoked-en-1280', { width: 1280, height: 900 }, async (page) => {
    await page.goto(`${env.base}/verify/certificate/${cert.code}?lang=en`);
    assert.match(await page.getByTestId('verify-revoked').textContent(), /revoked on .* no longer valid/);
    assert.ok(!(await page.getByTestId('verified').textContent()).includes('wrong period'), 'the reason stays private');
    await noSeriousViolations(page, 'revoked verification');
  });
});

test('the resident’s volunteer registration waits; staff approve it on the page, in English on a wide screen', { timeout: T }, async () => {
  // The demo resident registered (demo seeding) and waits for the community.
  await withPage('volunteer-registration-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/volunteer?elder=1');
    await page.goto(`${env.base}/volunteer?elder=1&lang=zh-CN`);
    const reg = page.getByTestId('registration');
    assert.equal((await reg.getByTestId('reg-status').textContent()).trim(), '等待社区审核');
    await reg.getByText('修改我的登记').click();
    await reg.getByLabel('可服务时间').fill('周六上午、周日下午');
    await noSidewaysScroll(page, 'registration form, elderly mode');
    await noSeriousViolations(page, 'registration form');
    await Promise.all([page.waitForURL(/done=registered/), reg.getByRole('button', { name: '保存修改' }).click()]);
    assert.match(await page.getByTestId('registration').textContent(), /周六上午、周日下午/);
  });
  await withPage('volunteer-registrations-en-1280', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, staff, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=en`);
    const card = page.getByTestId('registrations').locator('li').filter({ hasText: '周六上午、周日下午' });
    assert.match(await card.textContent(), /no insurance given/);
    await noSeriousViolations(page, 'registrations to check');
    await Promise.all([page.waitForURL(/done=approve_volunteer/), card.getByRole('button', { name: 'Approve' }).click()]);
    await page.getByText('Approved: the volunteer can take requests now.').first().waitFor();
  });
  await withPage('volunteer-registration-approved-360', phone, async (page) => {
    await logInAs(page, resident, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=zh-CN`);
    assert.equal((await page.getByTestId('reg-status').textContent()).trim(), '已通过审核');
  });
});

test('the community’s teams on the volunteer page, and the riders’ service point on the map', { timeout: T }, async () => {
  await withPage('volunteer-teams-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=zh-CN`);
    const teams = page.getByTestId('teams');
    assert.match(await teams.textContent(), /红色骑手志愿队/);
    assert.match(await teams.textContent(), /我是队员/, 'the demo volunteer captains it');
    await noSidewaysScroll(page, 'teams');
  });
  await withPage('volunteer-service-point-map-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/');
    await page.goto(`${env.base}/?lang=zh-CN`);
    const marker = page.locator('path.service-point').first();
    await marker.waitFor();
    await marker.dispatchEvent('click'); // the map may still be flying to one's grid
    const popup = page.locator('.point-popup');
    await popup.waitFor();
    assert.match(await popup.textContent(), /骑手爱心驿站.*开放时间：每天 8:00–22:00.*提供：饮水/s);
    await noSidewaysScroll(page, 'map with a service point');
  });
});

test('staff see the open request with its traffic light and the invitation sent; the invited volunteer accepts it on a phone in elderly mode', { timeout: T }, async () => {
  await withPage('volunteer-request-page-staff-1280-en', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, staff, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=en`);
    const waiting = page.getByTestId('waiting');
    assert.match(await waiting.textContent(), /Clinic escort/);
    assert.ok(await waiting.locator('[data-light]').count() > 0, 'the light on the waiting list');
    await Promise.all([page.waitForURL(/\/volunteer\/requests\/\d+/), waiting.getByRole('link', { name: 'Details' }).first().click()]);
    assert.match(await page.locator('h1').textContent(), /Volunteer request \d+/);
    assert.match(await page.getByTestId('invited').textContent(), /Waiting for an answer/);
    assert.match(await page.getByTestId('history').textContent(), /Volunteer invited/);
    await noSeriousViolations(page, 'request page');
  });
  await withPage('volunteer-invitation-elder-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer?elder=1');
    await page.goto(`${env.base}/volunteer?elder=1&lang=zh-CN`);
    const invs = page.getByTestId('invitations');
    assert.match(await invs.textContent(), /陪诊/);
    await noSidewaysScroll(page, 'invitations, elderly mode');
    await noSeriousViolations(page, 'invitations');
    await Promise.all([page.waitForURL(/done=invite_accept/), invs.getByRole('button', { name: '接受邀请并接单' }).first().click()]);
    assert.match(await page.getByTestId('my-claims').textContent(), /陪诊/);
    assert.equal(await page.getByTestId('invitations').count(), 0);
  });
});

test('the resident shows a sign-in code; the volunteer signs in and out by it; staff correct the record and the history keeps the original', { timeout: T }, async () => {
  const res = await apiJSON(resident);
  const building = (await res('GET', '/api/v1/me')).user.grants[0].area_code;
  const asked = await res('POST', '/api/v1/volunteer/requests', { service: 'repair', building_code: building, note: '台灯不亮' });
  const id = asked.request.id;
  await (await apiJSON(staff))('POST', `/api/v1/volunteer/requests/${id}/verify`, { decision: 'accept' });
  await (await apiJSON(volunteerA))('POST', `/api/v1/volunteer/requests/${id}/claim`);
  // Far from the building: the code alone is proof of presence.
  await env.context.setGeolocation({ latitude: 31.2, longitude: 121.5 });

  let code = '';
  await withPage('volunteer-sign-code-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/help?elder=1');
    await page.goto(`${env.base}/help?elder=1&lang=zh-CN`);
    const shown = page.locator(`[data-testid="my-requests"] li[data-id="${id}"] [data-testid="sign-code"]`);
    assert.match(await shown.textContent(), /签到码\s*\d{6}/);
    code = (await shown.locator('strong').textContent()).trim();
    await noSidewaysScroll(page, 'sign-in code, elderly mode');
    await noSeriousViolations(page, 'sign-in code');
  });
  await withPage('volunteer-sign-code-en-1280', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, resident, '/help');
    await page.goto(`${env.base}/help?lang=en`);
    assert.match(await page.locator(`[data-testid="my-requests"] li[data-id="${id}"] [data-testid="sign-code"]`).textContent(), new RegExp(`Sign-in code\\s*${code}`));
  });
  await withPage('volunteer-sign-in-by-code-elder-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer?elder=1');
    await page.goto(`${env.base}/volunteer?elder=1&lang=zh-CN`);
    const mine = () => page.locator(`[data-testid="my-claims"] li[data-id="${id}"]`);
    assert.equal(await mine().locator('[data-testid="sign-code"]').count(), 0, 'the volunteer never sees the code');
    const wrong = code === '000000' ? '111111' : '000000';
    await mine().getByLabel('或输入求助人手机上的签到码').fill(wrong);
    await Promise.all([page.waitForURL(/failed=/), mine().getByRole('button', { name: '到达签到' }).click()]);
    assert.match(await page.locator('#flash').textContent(), /code does not match/);
    await mine().getByLabel('或输入求助人手机上的签到码').fill(code);
    await Promise.all([page.waitForURL(/done=sign_in/), mine().getByRole('button', { name: '到达签到' }).click()]);
    await mine().getByLabel('或输入求助人手机上的签到码').fill(code);
    await noSidewaysScroll(page, 'sign-out by code, elderly mode');
    await Promise.all([page.waitForURL(/done=sign_out/), mine().getByRole('button', { name: '服务结束签退' }).click()]);
    assert.match(await mine().textContent(), /待确认/);
  });
  await res('POST', `/api/v1/volunteer/requests/${id}/confirm`, { rating: 5 });
  const a = await apiJSON(volunteerA);
  const before = (await a('GET', '/api/v1/volunteer/hours')).hours.balance_minutes;

  await withPage('volunteer-correct-staff-1280-en', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, staff, `/volunteer/requests/${id}`);
    await page.goto(`${env.base}/volunteer/requests/${id}?lang=en`);
    const form = page.getByTestId('correct');
    await form.getByLabel('Time served (minutes)').fill('45');
    await form.getByLabel('Reason').fill('The resident says the repair took 45 minutes');
    await noSeriousViolations(page, 'correction form');
    await Promise.all([page.waitForURL(/done=correct/), form.getByRole('button', { name: 'Save the correction' }).click()]);
    const history = await page.getByTestId('history').textContent();
    assert.match(history, /Signed out[^·]*·[^·]*· 15 minutes/, 'the original stays');
    assert.match(history, /Record corrected[^·]*·[^·]*· 15 min → 45 min · The resident says the repair took 45 minutes/);
  });
  assert.equal((await a('GET', '/api/v1/volunteer/hours')).hours.balance_minutes, before + 30, 'the time bank moved by the difference');
  await withPage('volunteer-corrected-history-elder-360', phone, async (page) => {
    await logInAs(page, volunteerA, `/volunteer/requests/${id}?elder=1`);
    await page.goto(`${env.base}/volunteer/requests/${id}?elder=1&lang=zh-CN`);
    assert.match(await page.getByTestId('history').textContent(), /记录已更正.*15 分钟 → 45 分钟/s);
    assert.equal(await page.getByTestId('correct').count(), 0, 'the volunteer does not correct');
    await noSidewaysScroll(page, 'corrected history, elderly mode');
  });
});

test('the service record and the certificate carry the organisation, the volunteer number and the masked ID number; A gives time to the resident; staff keep the community’s time-bank accounts', { timeout: T }, async () => {
  await withPage('volunteer-record-fields-360', phone, async (page) => {
    await logInAs(page, volunteerA, `/volunteer/requests/${state.id}`);
    await page.goto(`${env.base}/volunteer/requests/${state.id}?lang=zh-CN`);
    const rec = page.getByTestId('record-fields');
    assert.match(await rec.textContent(), /记录单位/);
    assert.match((await page.getByTestId('record-number').textContent()).trim(), /^\d{12}-\d{6}$/);
    assert.equal((await page.getByTestId('record-id').textContent()).trim(), '1101**********002X');
    assert.ok(!(await page.content()).includes('11010519491231002X'), 'never the full ID number');
    await noSidewaysScroll(page, 'request page with the record fields');
  });
  // A certificate for this month carries both (the earlier one was revoked).
  const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date());
  const a = await apiJSON(volunteerA);
  const certs = (await a('POST', '/api/v1/volunteer/certificates', { from: month, to: month })).certificates;
  assert.match(certs[0].volunteer_number, /^\d{12}-\d{6}$/);
  assert.equal(certs[0].id_number, '1101**********002X');
  await withPage('volunteer-certificate-ids-en-1280', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, volunteerA, `/volunteer/certificates/${certs[0].id}`);
    await page.goto(`${env.base}/volunteer/certificates/${certs[0].id}?lang=en`);
    assert.match(await page.getByTestId('cert-ids').textContent(), /Volunteer number: \d{12}-\d{6} · ID number: 1101\*{10}002X/);
    await noSeriousViolations(page, 'certificate with the record fields');
  });
  await withPage('volunteer-certificate-ids-verify-360', phone, async (page) => {
    await page.goto(`${env.base}/verify/certificate/${certs[0].code}?lang=zh-CN`);
    const text = await page.getByTestId('verified').textContent();
    assert.ok(!text.includes(certs[0].volunteer_number) && !text.includes('002X'), 'the public check shows neither');
  });
  // A gives five minutes to the resident (a family member in the community).
  const before = (await a('GET', '/api/v1/volunteer/hours')).hours.balance_minutes;
  await withPage('volunteer-donate-360', phone, async (page) => {
    await logInAs(page, volunteerA, '/volunteer');
    await page.goto(`${env.base}/volunteer?lang=zh-CN`);
    const d = page.getByTestId('donate');
    await d.getByText('赠与家人时间').click();
    await d.getByLabel('家人的手机号').fill(resident);
    await d.getByLabel('赠与分钟数').fill('5');
    await d.getByLabel('原因').fill('给母亲参加助餐用');
    await noSidewaysScroll(page, 'donation form');
    await noSeriousViolations(page, 'donation form');
    await Promise.all([page.waitForURL(/done=donated/), d.getByRole('button', { name: '确认赠与' }).click()]);
    assert.match(await page.getByTestId('statement').first().textContent(), /家庭成员间赠与 -5 分钟/);
  });
  assert.equal((await a('GET', '/api/v1/volunteer/hours')).hours.balance_minutes, before - 5);
  await withPage('volunteer-donated-help-elder-360', phone, async (page) => {
    await logInAs(page, resident, '/help?elder=1');
    await page.goto(`${env.base}/help?elder=1&lang=zh-CN`);
    const tb = page.getByTestId('help-time-bank');
    assert.match(await tb.textContent(), /家庭成员间赠与 \+5 分钟[^·]*·[^·]*· 给母亲参加助餐用/);
    await noSidewaysScroll(page, 'the resident’s time bank, elderly mode');
    await noSeriousViolations(page, 'the resident’s time bank');
  });
  // Staff: the community's accounts, the resident's statement, a grant.
  const residentID = (await (await apiJSON(resident))('GET', '/api/v1/me')).user.id;
  await withPage('volunteer-timebank-staff-en-1280', { width: 1280, height: 900 }, async (page) => {
    await logInAs(page, staff, '/volunteer/timebank');
    await page.goto(`${env.base}/volunteer/timebank?lang=en`);
    const row = page.getByTestId('tb-accounts').locator(`tr[data-member="${residentID}"]`);
    assert.match(await row.textContent(), /5/);
    await noSeriousViolations(page, 'time-bank accounts');
    await Promise.all([page.waitForURL(/member=/), row.getByRole('link', { name: 'Statement' }).click()]);
    const m = page.getByTestId('tb-member');
    assert.match(await m.getByTestId('statement').textContent(), /Given between family members \+5 minutes/);
    const form = m.getByTestId('tb-adjust');
    await form.getByLabel('Minutes').fill('30');
    await form.getByLabel('Reason').fill('Double Ninth Festival visit');
    await Promise.all([page.waitForURL(/done=adjusted/), form.getByRole('button', { name: 'Record it' }).click()]);
    assert.match(await page.getByTestId('tb-member').getByTestId('balance').textContent(), /35 minutes/);
    await noSeriousViolations(page, 'a member’s statement');
  });
  await withPage('volunteer-timebank-staff-elder-360', phone, async (page) => {
    await logInAs(page, staff, '/volunteer/timebank?elder=1');
    await page.goto(`${env.base}/volunteer/timebank?elder=1&lang=zh-CN&member=${residentID}`);
    assert.match(await page.getByTestId('tb-member').textContent(), /重阳|Double Ninth/);
    await noSidewaysScroll(page, 'time-bank accounts, elderly mode');
  });
});
