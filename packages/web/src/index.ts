export type { ApiErrorBody } from './api/api-error.js';
export type { CheckView } from './api/check-view.js';
export { API_VERSION, buildApp, webRoutes } from './app.js';
export type { WebContext } from './context.js';
export { createWebContext, type WebInput, WebServer } from './web-server.js';
