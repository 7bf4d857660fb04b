import { expect, test } from "@playwright/test";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OwnServer, openStreamer, signInAt, trigger, uniqueLogin } from "./helpers";

const feedItems = (page: import("@playwright/test").Page) => page.locator('ol[aria-label="Recent events"] > li');

test("the streamer page embeds the player and chat with the right parent", async ({ page }) => {
  await openStreamer(page, uniqueLogin("e2e_embed"), "speedrun_sam");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("SpeedrunSam");
  const player = await page.locator("#twitch-player").getAttribute("src");
  const url = new URL(player!);
  expect(url.origin + url.pathname).toBe("https://player.twitch.tv/");
  expect(url.searchParams.get("channel")).toBe("speedrun_sam");
  expect(url.searchParams.getAll("parent")).toEqual(["localhost"]);
  expect(url.searchParams.get("muted")).toBe("true");
  const chat = new URL((await page.locator("#twitch-chat").getAttribute("src"))!);
  expect(chat.origin + chat.pathname).toBe("https://www.twitch.tv/embed/speedrun_sam/chat");
  expect(chat.searchParams.getAll("parent")).toEqual(["localhost"]);

  const response = await page.request.get("/streamer/speedrun_sam");
  const csp = response.headers()["content-security-policy"];
  expect(csp).toContain("frame-src https://player.twitch.tv https://www.twitch.tv");
  expect(response.headers()["x-content-type-options"]).toBe("nosniff");
  expect(response.headers()["referrer-policy"]).toBeTruthy();
});

test("twelve triggered events appear within a second each, newest first, ten remain", async ({ page }) => {
  await openStreamer(page, uniqueLogin("e2e_feed"), "cozy_cat_tv");
  const kinds = ["channel.update", "channel.raid", "stream.online", "stream.offline"];
  for (let i = 0; i < 12; i++) {
    const shown = await feedItems(page).count();
    const before = shown ? await feedItems(page).first().getAttribute("data-event-id") : null;
    trigger([kinds[i % kinds.length], "-b", "cozy_cat_tv", "--seq", String(1000 + i)]);
    // Each event must be on the page within a second of the webhook being answered.
    if (before === null) {
      await expect(feedItems(page)).toHaveCount(1, { timeout: 1000 });
    } else {
      await expect(feedItems(page).first()).not.toHaveAttribute("data-event-id", before, { timeout: 1000 });
    }
    await expect(feedItems(page).first()).toHaveClass(/fresh/);
  }
  await expect(feedItems(page)).toHaveCount(10);
  // The last two were stream.online then stream.offline: the badge followed them.
  await expect(page.getByTestId("live-state")).toHaveText("Offline");
  trigger(["stream.online", "-b", "cozy_cat_tv", "--seq", "2000"]);
  await expect(page.getByTestId("live-state")).toHaveText("Live");
  await expect(feedItems(page)).toHaveCount(10);
  const ids = await feedItems(page).evaluateAll((items) => items.map((li) => Number(li.getAttribute("data-event-id"))));
  expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  expect(new Set(ids).size).toBe(10);
  // The page is also right after a reload, from the server's render.
  await page.reload();
  const reloaded = await feedItems(page).evaluateAll((items) => items.map((li) => Number(li.getAttribute("data-event-id"))));
  expect(reloaded).toEqual(ids);
});

test("an idle page makes no periodic requests", async ({ page }) => {
  await openStreamer(page, uniqueLogin("e2e_idle"), "nightowl_live");
  const requests: string[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.host === new URL(page.url()).host) requests.push(r.method() + " " + url.pathname);
  });
  await page.waitForTimeout(10_000);
  expect(requests).toEqual([]);
});

test("a name with markup renders as text", async ({ page }) => {
  let dialogs = 0;
  page.on("dialog", (d) => {
    dialogs++;
    void d.dismiss();
  });
  await openStreamer(page, uniqueLogin("e2e_xss"), "lofi_luna");
  const evil = "<img src=x onerror=alert(1)>";
  trigger(["channel.raid", "-b", "lofi_luna", "--user-name", evil]);
  await expect(feedItems(page).first()).toContainText(`${evil} raided with`);
  await expect(page.locator("ol.feed img")).toHaveCount(0);
  await page.reload();
  await expect(feedItems(page).first()).toContainText(evil);
  await expect(page.locator("ol.feed img")).toHaveCount(0);
  expect(dialogs).toBe(0);
});

test("without JavaScript the first paint already lists the stored events", async ({ page, browser }) => {
  await openStreamer(page, uniqueLogin("e2e_nojs"), "chef_chloe");
  trigger(["channel.update", "-b", "chef_chloe", "--seq", "7"]);
  await expect(feedItems(page)).toHaveCount(1);
  const noScript = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noScript.newPage();
  await plain.goto("/streamer/chef_chloe");
  await expect(plain.getByRole("heading", { level: 1 })).toHaveText("ChefChloe");
  await expect(feedItems(plain)).toHaveCount(1);
  await expect(feedItems(plain).first()).toContainText("changed the title");
  await noScript.close();
});

test("after a server restart the page reconnects and shows every event once", async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sev-e2e-"));
  const server = new OwnServer(3107, dir);
  await server.start();
  try {
    await signInAt(page, server.url, uniqueLogin("e2e_restart"));
    await page.getByLabel("Favorite streamer").fill("retro_rex");
    await page.getByLabel("Favorite streamer").press("Enter");
    await expect(page).toHaveURL(/\/streamer\/retro_rex$/);
    await expect(page.locator(".feed-status")).toHaveText("live");

    const send = (seq: number) => trigger(["channel.update", "-b", "retro_rex", "--seq", String(seq)], server.env);
    send(1);
    send(2);
    await expect(feedItems(page)).toHaveCount(2);

    await server.stop();
    await expect(page.locator(".feed-status")).toHaveText("reconnecting…");
    await server.start();
    // Sent while the page is still reconnecting: it must catch them up.
    send(3);
    send(4);
    await expect(page.locator(".feed-status")).toHaveText("live", { timeout: 20_000 });
    await expect(feedItems(page)).toHaveCount(4);
    const ids = await feedItems(page).evaluateAll((items) => items.map((li) => li.getAttribute("data-event-id")));
    expect(new Set(ids).size).toBe(4);
    send(5);
    await expect(feedItems(page)).toHaveCount(5);
  } finally {
    await server.stop();
  }
});

// scripts/test runs the suite twice: on the demo (SEV_DEMO=1), and configured with a Twitch application as in
// production. Only the demo may make events up: a release build has no demo route at all.
test("the demo fills the feed in one click, and a real deployment has no such button", async ({ page }) => {
  await openStreamer(page, uniqueLogin("e2e_demo"), "sevdemo");
  const fill = page.getByRole("button", { name: "Fill the feed with demo events" });
  if (process.env.SEV_DEMO !== "1") {
    await expect(fill).toHaveCount(0);
    const r = await page.request.post("/demo/fill/sevdemo");
    expect(r.status()).toBe(404);
    expect(await r.text()).toContain("sev has no page at this address");
    return;
  }
  await fill.click();
  await expect.poll(() => feedItems(page).count()).toBeGreaterThanOrEqual(5);
  const labels = await page.locator("ol.feed .feed-label").allTextContents();
  expect(new Set(labels).size).toBeGreaterThan(1);
});

test("visiting five streamer pages in one tab leaves one feed socket open", async ({ page }) => {
  // A server of the test's own, so its open-sockets gauge counts only this tab.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sev-e2e-"));
  const server = new OwnServer(3108, dir);
  await server.start();
  const openSockets = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/^sev_open_websockets (\d+)$/m.exec(text)?.[1]);
  };
  try {
    await signInAt(page, server.url, uniqueLogin("e2e_tabs"));
    for (const streamer of ["pixel_panda", "retro_rex", "speedrun_sam", "cozy_cat_tv", "lofi_luna"]) {
      await page.getByLabel("Favorite streamer").fill(streamer);
      await page.getByLabel("Favorite streamer").press("Enter");
      await expect(page).toHaveURL(new RegExp(`/streamer/${streamer}$`));
      await expect(page.locator(".feed-status")).toHaveText("live");
      // Back home through the page's own link: in-app navigation, the tab never reloads.
      if (streamer !== "lofi_luna") {
        await page.getByRole("link", { name: "Change favorite" }).click();
        await expect(page.getByLabel("Favorite streamer")).toBeVisible();
      }
    }
    await expect.poll(openSockets, { timeout: 10_000 }).toBe(1);
    // And leaving the last streamer page closes its socket too.
    await page.getByRole("link", { name: "Change favorite" }).click();
    await expect.poll(openSockets, { timeout: 10_000 }).toBe(0);
  } finally {
    await server.stop();
  }
});
