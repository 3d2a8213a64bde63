/** @flowgate/testing: what the test suites share (environment, factories, processes, the real stack). */
export * from './test-env';
export * from './factories';
export * from './processes';
export * from './rabbit';
export * from './tcp-proxy';
export * from './wait';
export * from './test-app';
export * from './stack';
export * from './meta';
