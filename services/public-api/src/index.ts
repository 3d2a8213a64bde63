/** @flowgate/public-api: the HTTP API's factories, for `pnpm start`, tests and the bench. */
export { buildApp, BODY_LIMIT_BYTES, type AppDependencies } from './app';
export { createApiRuntime, envelopePublisher, type ApiRuntime, type RuntimeOverrides } from './dependencies';
export { listen, type ListenOptions, type RunningServer } from './server';
export { healthRouter, type ReadinessCheck } from './http/routes/health.routes';
export { metricsRouter } from './http/routes/metrics.routes';
export { defaultDashboardDir, DASHBOARD_PATH } from './http/routes/dashboard.routes';
