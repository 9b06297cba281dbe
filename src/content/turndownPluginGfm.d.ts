// The Joplin fork of turndown-plugin-gfm (maintained; the original stopped in 2017) ships no types.
declare module "@joplin/turndown-plugin-gfm" {
  import type TurndownService from "turndown";
  export const gfm: TurndownService.Plugin;
}
