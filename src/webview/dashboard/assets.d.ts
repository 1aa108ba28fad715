/** Style sheets imported for the bundle: esbuild writes them to dist/webview/dashboard.css. */
declare module '*.css';
