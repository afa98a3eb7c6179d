import { defineConfig } from "vite";

// One fixed set of file names (no content hashes): the Rust binary embeds them by name
// (functions/http/src/console.rs) and `relais serve` answers with `Cache-Control: no-cache`
// plus an ETag, so browsers revalidate instead of caching stale code.
declare const process: { env: Record<string, string | undefined> };

// `npm run dev`: the console with hot reload, the API proxied to a running `relais serve`.
const API = process.env.RELAIS_API ?? "http://127.0.0.1:8080";
const API_PATHS = ["/campaigns", "/campaign-options", "/notifications", "/reservations", "/properties", "/chatbots", "/users", "/openapi.json", "/outbox"];

export default defineConfig({
  base: "./",
  server: { proxy: Object.fromEntries(API_PATHS.map((p) => [p, { target: API }])) },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: false,
    cssCodeSplit: false,
    sourcemap: false,
    rollupOptions: {
      output: {
        entryFileNames: "console/app.js",
        chunkFileNames: "console/[name].js",
        assetFileNames: (info: { names?: string[] }) => ((info.names ?? []).some((n) => n.endsWith(".css")) ? "console/app.css" : "console/[name][extname]"),
        inlineDynamicImports: true,
      },
    },
  },
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
  },
} as any);
