import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The dashboard's build (docs/contracts.md §13, ADR 0045): served by public-api at /dashboard/.
 * No inline script may be emitted (helmet's CSP allows scripts from 'self' only): the module
 * preload polyfill is off, and Vite writes the entry as an external module script.
 */
export default defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
