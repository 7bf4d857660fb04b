import { expect, Page } from "@playwright/test";

/** A login no other test uses, so tests do not see each other's data. */
export function uniqueLogin(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`.slice(0, 25);
}

/** Waits until the WASM has hydrated the page, so event handlers are attached. */
export async function hydrated(page: Page) {
  await expect(page.locator("html[data-hydrated=true]")).toHaveCount(1);
}

/** Signs in through the mock Twitch's authorize page, as a person would. */
export async function signIn(page: Page, login: string) {
  await page.goto("/");
  await page.getByRole("link", { name: "Sign in with Twitch" }).first().click();
  await expect(page.getByRole("heading", { name: /Sign in to Twitch/ })).toBeVisible();
  await page.getByLabel("Twitch login").fill(login);
  await page.getByRole("button", { name: "Authorize" }).click();
  await expect(page.getByTestId("viewer-name")).toHaveText(login);
  await hydrated(page);
}
