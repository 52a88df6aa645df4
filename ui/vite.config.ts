import { defineConfig } from 'vite';

// Served by ocr-server under /ui (host/server/src/ui.rs embeds dist/ at compile time).
export default defineConfig({
  base: '/ui/',
  build: { outDir: 'dist', assetsDir: 'assets', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: { proxy: { '/v1': 'http://127.0.0.1:8000' } },
});
