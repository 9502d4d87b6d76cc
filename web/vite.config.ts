import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The explorer page: built from web/ into dist/web/, which `heed serve` serves as static files.
// `base: './'` keeps asset URLs relative, so the page works under any path prefix.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
});
