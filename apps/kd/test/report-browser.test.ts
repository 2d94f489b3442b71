// The report `kd demo` writes, opened in Debian's Chromium (playwright-core
// through the shared helpers in tests/browser): the results of a real
// `kd demo` run (test/fixtures/demo-results.json.gz) must show all four
// research systems with their tables and drawn plots, fit the page, and need
// nothing from the network.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, startStaticServer } from '../../../tests/browser/index.mjs';
import { DEMO_SYSTEMS } from '../src/demo/stages.js';
import { asReportDocument, type ReportDocument, renderReport } from '../src/report/html.js';

const doc: ReportDocument = asReportDocument(
  JSON.parse(
    gunzipSync(readFileSync(new URL('fixtures/demo-results.json.gz', import.meta.url))).toString(
      'utf8',
    ),
  ),
);

let server: Awaited<ReturnType<typeof startStaticServer>>;
let browser: Awaited<
  ReturnType<typeof launchChromium<Awaited<ReturnType<typeof chromium.launchPersistentContext>>>>
>;

beforeAll(async () => {
  server = await startStaticServer({
    files: { '/index.html': renderReport(doc) },
    isolated: false,
  });
  browser = await launchChromium(chromium, { viewport: { width: 1280, height: 900 } });
  await browser.page.goto(server.url('/index.html'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('demo report in Chromium', () => {
  it('the fixture is a whole demo: every system and recipe of DEMO_SYSTEMS', () => {
    expect(doc.sections.map((s) => s.system)).toEqual(DEMO_SYSTEMS.map((s) => s.system));
    for (const [i, s] of DEMO_SYSTEMS.entries()) {
      expect(doc.sections[i].results).toHaveLength(s.recipes.length);
    }
  });

  it('shows each system with visible tables, numbers and drawn plots', async () => {
    const sections = await browser.page.evaluate(() =>
      Array.from(document.querySelectorAll('section')).map((s) => {
        const visible = (e: Element) => {
          const r = e.getBoundingClientRect();
          return r.width > 0 && r.height > 0;
        };
        const plots = Array.from(s.querySelectorAll('svg'));
        return {
          id: s.id,
          heading: s.querySelector('h2')?.textContent ?? '',
          articles: s.querySelectorAll('article').length,
          tableRows: Array.from(s.querySelectorAll('table tbody tr')).filter(visible).length,
          numericCells: Array.from(s.querySelectorAll('td.num')).filter((td) =>
            /\d/.test(td.textContent ?? ''),
          ).length,
          plots: plots.length,
          // A plot is drawn when its data marks (paths, polylines, bars, points) have extent.
          drawnPlots: plots.filter((svg) =>
            Array.from(svg.querySelectorAll('path, polyline, rect, circle')).some((m) => {
              const b = (m as SVGGraphicsElement).getBBox();
              return b.width > 0 || b.height > 0;
            }),
          ).length,
        };
      }),
    );
    expect(sections.map((s) => s.id)).toEqual(DEMO_SYSTEMS.map((s) => s.system));
    for (const [i, s] of sections.entries()) {
      expect(s.heading).toBe(DEMO_SYSTEMS[i].title);
      expect(s.articles, s.id).toBe(DEMO_SYSTEMS[i].recipes.length);
      expect(s.tableRows, s.id).toBeGreaterThan(0);
      expect(s.numericCells, s.id).toBeGreaterThan(0);
      expect(s.plots, s.id).toBeGreaterThan(0);
      expect(s.drawnPlots, s.id).toBe(s.plots);
    }
  });

  it('fits the page width, logs no errors and fetches nothing but the page', async () => {
    const overflow = await browser.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(browser.logs.filter((l) => /error/i.test(l))).toEqual([]);
    // Not even a favicon: the page declares an empty one.
    expect(server.requests).toEqual(['/index.html']);
  });

  it('renders a full-page screenshot with content (kept for people to look at)', async () => {
    const png = await browser.page.screenshot({ fullPage: true });
    const path = join(process.env.KD_REPORT_SCREENSHOT_DIR ?? tmpdir(), 'kd-demo-report.png');
    writeFileSync(path, png);
    // PNG header: width and height at bytes 16–23 (big-endian).
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBe(1280);
    // Four systems with tables and plots are far taller than one screen.
    expect(height).toBeGreaterThan(4 * 900);
  });
});
