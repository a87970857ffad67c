// The guest tab's title parts: "A007 · 5 ahead", "2 ahead · A007" once nearly up (issue 16), and
// "▶ Your turn · A007" when called; useVenueTitle adds the venue's name. The rules live with the
// other "nearly up" rules (lib/nearlyUp.js).
export { guestTitleParts } from '../../lib/nearlyUp.js'
