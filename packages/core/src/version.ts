/** Kept in step with package.json by the release script (changesets). */
export const VERSION = '0.1.0';
