// Vite build of the console: one hashed bundle under /assets/, nothing
// inline (the server's CSP allows only 'self' scripts and styles).
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // no inline polyfill script: it would need 'unsafe-inline'
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
})
