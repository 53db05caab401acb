/** The page's files, read once at start-up (dashboard-files.ts). */
export const DASHBOARD_FILES = Symbol('DASHBOARD_FILES');
