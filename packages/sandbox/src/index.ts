/**
 * @flowgate/sandbox: a stand-in for the WhatsApp Cloud API's send-message endpoint (DESIGN §8).
 * Start it with `startSandbox()`, point the Cloud API client's base URL at `sandbox.url`, and
 * pick outcomes with the magic recipient numbers in `SANDBOX_NUMBERS`.
 */
export { startSandbox } from './server';
export type { Sandbox, SandboxOptions } from './server';
export type { SandboxCall } from './call-log';
export { DEFAULT_MAX_CALLS } from './call-log';
export {
  SANDBOX_NUMBERS,
  SANDBOX_NUMBER_DOCS,
  SANDBOX_TEMPLATES,
  SANDBOX_TOKENS,
  sandboxNumberFor,
} from './numbers';
export type { SandboxNumberName } from './numbers';
export { checkMessageBody, MESSAGE_TYPES } from './validate';
export type { BodyCheck, BodyViolation, CheckedMessage, CheckedStatus, MessageType } from './validate';
export { metaErrorBody, META_ERROR_TITLES } from './meta-errors';
export type { MetaErrorBody } from './meta-errors';
