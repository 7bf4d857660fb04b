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

import { execFileSync, spawn, ChildProcess } from "child_process";
import * as path from "path";

/** The sev binary the suite runs against (set by scripts/test). */
export const SEV_BIN = process.env.SEV_BIN ?? path.resolve(__dirname, "../../target/debug/sev");

/** The tools binary (`sev-tools`) the suite triggers events with (set by scripts/test). */
export const SEV_TOOLS = process.env.SEV_TOOLS ?? path.resolve(__dirname, "../../target/debug/sev-tools");

/** Runs `sev-tools trigger …` like an operator would, against the server in `env` (default: the suite's server). */
export function trigger(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(SEV_TOOLS, ["trigger", ...args], {
    env: { ...process.env, RUST_LOG: "warn", ...env },
    encoding: "utf8",
  });
}

/** Signs in on a server of the test's own at `baseUrl`; ends on its home page, hydrated. */
export async function signInAt(page: Page, baseUrl: string, login: string) {
  await page.goto(baseUrl);
  await page.getByRole("link", { name: "Sign in with Twitch" }).click();
  await page.getByLabel("Twitch login").fill(login);
  await page.getByRole("button", { name: "Authorize" }).click();
  await hydrated(page);
}

/** Signs in and makes `streamer` the favorite; ends on the streamer's page, hydrated. */
export async function openStreamer(page: Page, login: string, streamer: string) {
  await signIn(page, login);
  const input = page.getByLabel("Favorite streamer");
  await input.fill(streamer);
  await input.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/streamer/${streamer}$`));
  await hydrated(page);
  await expect(page.locator(".feed-status")).toHaveText("live");
}

/** A second sev of the suite's own, on another port and database, that a test may stop and start. */
export class OwnServer {
  private child?: ChildProcess;
  constructor(
    readonly port: number,
    readonly dbDir: string,
  ) {}

  get url() {
    return `http://localhost:${this.port}`;
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DATABASE_URL: `sqlite://${this.dbDir}/sev.db`,
      PUBLIC_URL: this.url,
      LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
      LEPTOS_SITE_ROOT: process.env.SEV_SITE_ROOT ?? path.resolve(__dirname, "../../target/site"),
      RUST_LOG: "warn",
    };
  }

  async start() {
    this.child = spawn(SEV_BIN, [], { env: this.env, stdio: "inherit" });
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("sev did not start");
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}
