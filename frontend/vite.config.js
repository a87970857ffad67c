import { defineConfig } from 'vite'
import tailwindcss from '@tailwindcss/vite'

// The pages are written against React's API but run on Preact's compatibility layer
// (preact/compat): react-dom 19 alone is ~52 KB Brotli, nearly the guest page's whole 60 KB
// budget on a slow phone, where Preact and its compat layer are ~5 KB (docs/architecture.md,
// "Project decisions"). Every import of React, React DOM and the JSX runtime goes to Preact,
// in the build and in Vitest alike, so the tests run what the phones run.
const PREACT = [
  { find: /^react$/, replacement: 'preact/compat' },
  { find: /^react-dom$/, replacement: 'preact/compat' },
  { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
  { find: /^react-dom\/test-utils$/, replacement: 'preact/test-utils' },
  { find: /^react\/jsx-runtime$/, replacement: 'preact/compat/jsx-runtime' },
  { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/compat/jsx-dev-runtime' },
]

// The box serves these files itself: Node never runs there, and nothing is fetched from
// the internet (no CDN, no web fonts).
export default defineConfig({
  plugins: [tailwindcss()],
  // JSX compiles to Preact's runtime (through compat, which also maps className, onChange…).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact/compat' } },
  resolve: { alias: PREACT, dedupe: ['preact'] },
  base: '/',
  build: {
    outDir: '../server/qode/static',
    emptyOutDir: true,
    assetsDir: 'assets',
    rolldownOptions: {
      output: {
        // Hashed names let the server cache assets for a long time.
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.js'],
    include: ['src/**/*.test.{js,jsx}'],
    restoreMocks: true,
    // Testing Library imports react-dom itself: its ES module build goes through Vite, so the
    // alias above reaches those imports too (its CommonJS build would require React DOM).
    alias: [{ find: /^@testing-library\/react$/, replacement: '@testing-library/react/dist/@testing-library/react.esm.js' }],
    server: { deps: { inline: [/@testing-library\/react/] } },
  },
})
