export * from './infrastructure';
export * from './run-process';
export * from './readiness';
