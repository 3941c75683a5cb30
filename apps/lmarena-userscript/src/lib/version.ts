/**
 * The script's version: the `@version` of the userscript header (read by build.mjs) and the
 * `version` of the hello frame, so the dashboard shows which script each browser runs.
 */
export const VERSION = '1.0.0';
