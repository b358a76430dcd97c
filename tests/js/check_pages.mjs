// Checks HTML pages the way a reader's browser sees them: each page is opened in headless Chromium
// (Debian's, never one that puppeteer downloads), axe-core is run on it, and its width is measured at a
// 320 px viewport (WCAG 1.4.10 reflow: no sideways scrolling on a small phone).
//
//   node check_pages.mjs --chromium /usr/bin/chromium page1.html page2.html ...
//
// Prints one JSON object on stdout: {"pages": [{"file", "violations": [...], "scrollWidth320"}], "axe": version}.
// Exit 0 whenever every page was checked, whatever was found (the Python test judges the findings); exit 2
// when the browser could not be started or a page could not be opened, with the reason on stderr.

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = require.resolve("axe-core/axe.min.js");
const AXE_VERSION = require("axe-core/package.json").version;

// Axe runs at an ordinary desktop width; reflow is measured at 320 CSS px (1.4.10's width).
const DESKTOP = { width: 1280, height: 900, deviceScaleFactor: 1 };
const PHONE = { width: 320, height: 640, deviceScaleFactor: 1 };
const PAGE_TIMEOUT_MS = 30000;

function parseArgs(argv) {
  const files = [];
  let chromium = process.env.CHROMIUM || "/usr/bin/chromium";
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--chromium") chromium = argv[++i];
    else files.push(argv[i]);
  }
  return { chromium, files };
}

async function checkPage(browser, file) {
  const page = await browser.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  // The pages are standalone: any request beyond the file itself would be a fault, and here it would hang
  // on the closed network, so every other request is refused and named.
  const url = pathToFileURL(resolve(file)).href;
  const outside = [];
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (request.url() === url || request.url().startsWith("data:")) request.continue();
    else {
      outside.push(request.url());
      request.abort();
    }
  });
  try {
    await page.setViewport(DESKTOP);
    await page.goto(url, { waitUntil: "load" });
    await page.addScriptTag({ path: AXE_SOURCE });
    const violations = await page.evaluate(async () => {
      // Every rule axe has apart from experimental ones, best practices (heading-order) included.
      const results = await window.axe.run(document, { resultTypes: ["violations"] });
      return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        tags: v.tags,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 300), summary: n.failureSummary })),
      }));
    });
    await page.setViewport(PHONE);
    const { scrollWidth320, overflowing } = await page.evaluate(() => {
      // For the report: the innermost elements that reach past the viewport, so the finding names the
      // culprit (a wide table, an unbreakable word) rather than just a number.
      const limit = document.documentElement.clientWidth;
      const wide = [...document.body.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > limit + 0.5);
      const innermost = wide.filter((e) => !wide.some((other) => other !== e && e.contains(other)));
      return {
        scrollWidth320: document.documentElement.scrollWidth,
        overflowing: innermost
          .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)
          .slice(0, 5).map((e) => ({
          element: e.tagName.toLowerCase() + (e.id ? `#${e.id}` : "") + (e.className ? `.${String(e.className).split(" ").join(".")}` : ""),
          right: Math.round(e.getBoundingClientRect().right),
          text: (e.textContent || "").trim().slice(0, 80),
        })),
      };
    });
    return { file, violations, scrollWidth320, overflowing, outsideRequests: outside };
  } finally {
    await page.close();
  }
}

async function main() {
  const { chromium, files } = parseArgs(process.argv.slice(2));
  const profile = mkdtempSync(join(tmpdir(), "protocolgen-chromium-"));
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      userDataDir: profile,
      // Root in CI needs --no-sandbox; the rest keep Chromium off the (closed) network and quiet.
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
      timeout: PAGE_TIMEOUT_MS,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    process.stderr.write(`cannot start Chromium at ${chromium}: ${error.message}\n`);
    process.exit(2);
  }
  const pages = [];
  let failed = false;
  try {
    for (const file of files) {
      try {
        pages.push(await checkPage(browser, file));
      } catch (error) {
        process.stderr.write(`${file}: ${error.message}\n`);
        failed = true;
      }
    }
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify({ axe: AXE_VERSION, pages }, null, 1) + "\n");
  process.exit(failed ? 2 : 0);
}

await main();
