import { expect, test } from "@playwright/test";
import { hydrated } from "./helpers";

// What the browser downloads to hydrate a page: content-hashed names, kept for a year, and, for the release
// artifact (scripts/release precompresses), sent compressed. The page itself is never stored.
test("the WASM, JS and CSS have content-hashed names, are cached for good, and hydrate the page", async ({
  page,
}) => {
  const assets = new Map<string, { cacheControl: string; encoding: string }>();
  page.on("response", async (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith("/pkg/")) {
      const headers = await response.allHeaders();
      assets.set(url.pathname, {
        cacheControl: headers["cache-control"] ?? "",
        encoding: headers["content-encoding"] ?? "",
      });
    }
  });
  const home = await page.goto("/");
  expect(home?.status()).toBe(200);
  expect(home?.headers()["cache-control"]).toBe("private, no-cache");
  await hydrated(page);

  const names = [...assets.keys()];
  for (const ext of ["wasm", "js", "css"]) {
    const name = names.find((n) => n.endsWith(`.${ext}`));
    expect(name, `a .${ext} file among ${names.join(", ")}`).toMatch(new RegExp(`^/pkg/sev\\.[A-Za-z0-9_-]{6,}\\.${ext}$`));
    const { cacheControl, encoding } = assets.get(name!)!;
    expect(cacheControl).toBe("public, max-age=31536000, immutable");
    if (process.env.SEV_EXPECT_PRECOMPRESSED) {
      // Chromium offers brotli only over https, so over the suite's plain http the gzip twin is sent.
      expect(["br", "gzip"], `${name} sent precompressed`).toContain(encoding);
    }
  }
});
