/**
 * @flowgate/sandbox: a stand-in for the WhatsApp Cloud API's send-message endpoint (docs/contracts.md §8).
 * Start it with `startSandbox()`, point the Cloud API client's base URL at `sandbox.url`, and
 * pick outcomes with the magic recipient numbers in `SANDBOX_NUMBERS`, or inject a fault mix
 * (HTTP 500s, late answers, 130429 bursts) with `chaos` / `setChaos` / `PUT /_sandbox/chaos`.
 */
export { startSandbox } from './server';
export type { Sandbox, SandboxOptions } from './server';
export type { CallSummary, MessageCalls, SandboxCall } from './call-log';
export { DEFAULT_CHAOS_TIMEOUT_MS, parseChaosJson, parseChaosSettings } from './chaos';
export type {
  ChaosCounters,
  ChaosFault,
  ChaosParse,
  ChaosSettings,
  ChaosState,
  ThrottleBurst,
} from './chaos';
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
export { SANDBOX_WABAS } from './routes/templates';
export type { BodyCheck, BodyViolation, CheckedMessage, CheckedStatus, MessageType } from './validate';
export { metaErrorBody, META_ERROR_TITLES } from './meta-errors';
export type { MetaErrorBody } from './meta-errors';
export {
  DEFAULT_STATUS_DELAYS_MS,
  SANDBOX_DISPLAY_PHONE_NUMBER,
  SANDBOX_WABA_ID,
  signature as webhookSignature,
} from './webhooks';
export type { SandboxWebhook, WebhookStats } from './webhooks';
