// Benchmark (not a test: it asserts no time): the report page's time to
// first paint, to usable (the form ready) and to the map drawn, under the
// emulated slow 4G network of the budget test, RUNS times (default 3) on a
// fresh page with the cache disabled, logged in as the demo resident. It
// prints each run and the median. The target is usable within 2 s; the
// figures go to docs/benchmarks.md with the machine and its load.
//
//   make build && bash scripts/web-budget.sh
import { test } from 'node:test';
import { writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, setup, logInAs } from '../browser/harness.mjs';
import { loadReportPage, PROFILE } from '../browser/budget.mjs';

setup();

const runs = Number(process.env.RUNS || 3);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};

test(`report page under ${PROFILE}, ${runs} runs`, { timeout: 30 * 60_000 }, async () => {
  const login = await env.context.newPage();
  await login.setViewportSize({ width: 360, height: 740 });
  await logInAs(login, '19900000001', '/my');
  await login.close();
  const all = [];
  for (let i = 0; i < runs; i++) {
    const page = await env.context.newPage();
    try {
      await page.setViewportSize({ width: 360, height: 740 });
      const { requests, times } = await loadReportPage(page, env.base);
      const bytes = requests.reduce((n, r) => n + r.bytes, 0);
      all.push({ ...times, requests: requests.length, bytes });
      console.log(`run ${i + 1}: ${JSON.stringify(all[i])}`);
    } finally {
      await page.close();
    }
  }
  const keys = ['firstContentfulPaintMs', 'contentShownMs', 'usableMs', 'mapReadyMs'];
  const summary = {
    profile: PROFILE, runs, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length,
    median: Object.fromEntries(keys.map((k) => [k, median(all.map((r) => r[k]))])), each: all,
  };
  console.log(`median of ${runs}: ${JSON.stringify(summary.median)} (load average ${summary.loadavg.join(' ')} on ${summary.cpus} cores; target usable ≤ 2000 ms)`);
  await mkdir(path.join(root, 'test-artifacts'), { recursive: true });
  await writeFile(path.join(root, 'test-artifacts', 'web-budget-bench.json'), JSON.stringify(summary, null, 2));
});
