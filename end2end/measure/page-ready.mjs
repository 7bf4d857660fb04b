// Measures how long a viewer waits for a streamer page: from navigation to the page hydrated (the WASM running)
// and the feed's WebSocket live. A measurement script, not a test: it prints figures and asserts nothing.
//
//   node measure/page-ready.mjs BASE_URL [RUNS]      (sev in demo mode at BASE_URL)
//
// Each run uses a new browser context, so the first visit downloads everything ("cold"); it then reloads the page
// in the same context ("warm"), where the content-hashed /pkg files come from the browser's cache.
import { chromium } from "@playwright/test";

const base = process.argv[2] ?? "http://localhost:3000";
const runs = Number(process.argv[3] ?? 10);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});

/** Milliseconds from the navigation's start to the page hydrated and its feed live, read from the page's clock. */
async function readyAfter(page, navigate) {
  await navigate();
  const handle = await page.waitForFunction(
    () =>
      document.documentElement.dataset.hydrated === "true" &&
      document.querySelector(".feed-status")?.dataset.state === "open"
        ? performance.now()
        : null,
    null,
    { polling: "raf", timeout: 30_000 },
  );
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return { start: n.startTime, html: n.responseEnd, loaded: n.loadEventEnd };
  });
  return { ready: (await handle.jsonValue()) - nav.start, html: nav.html - nav.start };
}

const cold = [];
const warm = [];
const html = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  // Sign in through the mock Twitch and pick the streamer, as a viewer would.
  await page.goto("/auth/login");
  await page.getByLabel("Twitch login").fill(`measure_${Date.now().toString(36)}${i}`);
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.waitForSelector("[data-testid=viewer-name]");
  // Make the first visit to the streamer page a cold one: nothing of sev's in the HTTP cache yet.
  const session = await context.newCDPSession(page);
  await session.send("Network.clearBrowserCache");
  const first = await readyAfter(page, () => page.goto("/streamer/pixel_panda"));
  cold.push(first.ready);
  html.push(first.html);
  const again = await readyAfter(page, () => page.reload());
  warm.push(again.ready);
  await context.close();
}
await browser.close();

const pct = (list, p) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(0);
};
console.log(`streamer page, ${runs} runs against ${base} (ms from navigation start)`);
console.log(`${"".padEnd(28)} ${"p50".padStart(6)} ${"p90".padStart(6)} ${"max".padStart(6)}`);
for (const [name, list] of [
  ["HTML received", html],
  ["hydrated and live, cold", cold],
  ["hydrated and live, warm", warm],
]) {
  console.log(`${name.padEnd(28)} ${pct(list, 50).padStart(6)} ${pct(list, 90).padStart(6)} ${pct(list, 100).padStart(6)}`);
}
