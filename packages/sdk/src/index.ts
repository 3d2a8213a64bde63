export {
  FlowgateApiError,
  FlowgateClient,
  PARTNER_API_BASE_PATH,
  retryAfterMs,
  retryingFetch,
  type AuthForm,
  type ErrorEnvelope,
  type FlowgateClientOptions,
  type GetMessageResponse,
  type ListTemplatesResponse,
  type RetryOptions,
  type SendMessageBody,
  type SendMessageResponse,
} from './client';
export {
  verifyWebhook,
  WEBHOOK_EVENTS,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookEventName,
} from './webhooks';
export type { components, operations, paths } from './generated/openapi';
