export type { ApiErrorBody } from './api-error.js';
export { API_VERSION, buildApp, webRoutes } from './app.js';
export type { CheckView } from './check-view.js';
export type { WebContext } from './context.js';
export { createWebContext, type WebOptions, WebServer } from './web-server.js';
