import { expect, test } from "@playwright/test";
import { hydrated, signIn, uniqueLogin } from "./helpers";

test("signed out, the home page explains sev and offers sign-in", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("favorite streamer");
  await expect(page.getByRole("link", { name: "Sign in with Twitch" })).toBeVisible();
});

test("sign in, set a favorite, reload: still signed in with the favorite shown", async ({ page }) => {
  const login = uniqueLogin("e2e_fan");
  await signIn(page, login);

  const input = page.getByLabel("Favorite streamer");
  await input.fill("Pixel_Panda");
  await input.press("Enter");
  await expect(page).toHaveURL(/\/streamer\/pixel_panda$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("PixelPanda");

  await page.goto("/");
  await page.reload();
  await expect(page.getByTestId("viewer-name")).toHaveText(login);
  await expect(page.getByLabel("Favorite streamer")).toHaveValue("pixel_panda");
});

test("sign out ends the session", async ({ page }) => {
  await signIn(page, uniqueLogin("e2e_out"));
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in with Twitch" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("link", { name: "Sign in with Twitch" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
});

test("a malformed favorite shows its error and is not saved", async ({ page }) => {
  await signIn(page, uniqueLogin("e2e_typo"));
  const input = page.getByLabel("Favorite streamer");
  await input.fill("bad name!");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("no spaces");
  await expect(input).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\/$/);

  await input.fill("abc");
  await input.press("Enter");
  await expect(page.getByRole("alert")).toContainText("at least 4 characters");
});

test("an unknown streamer gets an inline error from the server", async ({ page }) => {
  await signIn(page, uniqueLogin("e2e_unknown"));
  const input = page.getByLabel("Favorite streamer");
  await input.fill("nobody_streams_here");
  await input.press("Enter");
  await expect(page.getByRole("alert")).toContainText("no streamer called");
  await expect(page).toHaveURL(/\/$/);
  await page.reload();
  await expect(page.getByLabel("Favorite streamer")).toHaveValue("");
});

test("denying consent at Twitch lands on a friendly page with a way back", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "Sign in with Twitch" }).click();
  await page.getByLabel("Twitch login").fill("someone_shy");
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("heading", { name: "You did not sign in" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("link", { name: "Back to the home page" }).click();
  await expect(page.getByRole("link", { name: "Sign in with Twitch" })).toBeVisible();
});
