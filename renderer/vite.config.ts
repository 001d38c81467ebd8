// Build of the review queue: a static single page the admin listener serves from renderer/dist.
// Relative asset paths so the same build works behind any base address.

import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: {
    // During development the API lives on the backend's admin listener.
    proxy: { '/api': { target: process.env.SPEC2TICKETS_ADMIN_URL ?? 'http://127.0.0.1:8788', changeOrigin: true } },
  },
});
