// SEAM (issue 14, "brand"): the venue's look on the screens. Until the venue's own settings
// exist, a screen shows its queue's name, no logo, the app's colours and the browser's language.
// The brand work fills this one hook in (name, logo, accent colour, default language), and every
// screen that calls it follows.

/**
 * The venue as a screen shows it: `{name, logo, language}`. `logo` is an image URL or null;
 * `language` is the venue's default language code, or null for the browser's.
 */
export function useVenue(queue) {
  return { name: queue?.name ?? '', logo: null, language: null }
}
