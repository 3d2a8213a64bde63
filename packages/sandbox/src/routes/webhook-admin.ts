/**
 * The sandbox's routes that make Meta post a webhook now (docs/contracts.md §9, last paragraph):
 * `POST /_sandbox/inbound` (a customer writes), `POST /_sandbox/templates/status` (a template
 * review) and `POST /_sandbox/webhook` (any payload, as given). Each waits for the receiver's
 * first answer and replies 200 `{…, "webhookStatus": <its HTTP status or null>, "retrying": bool}`;
 * anything but 200 is retried in the background like the status webhooks. Without a webhook set:
 * 409. A bad body: 400 listing every problem.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { isRecord, MAX_BODY_BYTES, readBody, sendBadRequest, sendJson } from '../http-io';
import type { SandboxState } from '../sandbox-state';
import { envelope, messagesMetadata, unixSeconds, type FirstAttempt } from '../webhooks';
import { INBOUND_MESSAGE_TYPES } from '@flowgate/contracts';

const NO_WEBHOOK = { error: 'no webhook URL set (SANDBOX_WEBHOOK_URL)' };

/** The inbound message types of Meta's webhooks (docs/meta-cloud-api.md §5.5). */
const INBOUND_TYPES: ReadonlySet<string> = new Set(INBOUND_MESSAGE_TYPES);
/** Types whose content is not an object under the type's name. */
const NO_CONTENT_TYPES = new Set(['unsupported', 'unknown']);
const MAX_TEXT = 4096;

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Reads the JSON body; answers 400 (and returns undefined) when it is too large or not JSON. */
async function readJson(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  what: string,
): Promise<{ raw: string; body: unknown } | undefined> {
  const { text, tooLarge } = await readBody(req);
  if (tooLarge) {
    sendBadRequest(res, { message: what, details: `The request body exceeds ${MAX_BODY_BYTES} bytes` });
    return undefined;
  }
  try {
    return { raw: text, body: JSON.parse(text) as unknown };
  } catch {
    sendBadRequest(res, { message: what, details: 'The request body is not valid JSON' });
    return undefined;
  }
}

function answer(res: http.ServerResponse, first: FirstAttempt, extra: Record<string, unknown> = {}): void {
  const payload: Record<string, unknown> = {
    ...extra,
    webhookStatus: first.status,
    retrying: first.retrying,
  };
  if (first.error !== undefined) payload['error'] = first.error;
  sendJson(res, 200, payload);
}

/** Checks the common preconditions; false when it has answered (405, 409, 400). */
async function begin(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  what: string,
): Promise<{ raw: string; body: unknown } | undefined> {
  if (req.method !== 'POST') {
    req.resume();
    sendJson(res, 405, { error: { message: 'Use POST', code: 405 } });
    return undefined;
  }
  const read = await readJson(req, res, what);
  if (read === undefined) return undefined;
  if (!state.webhooks.enabled) {
    sendJson(res, 409, NO_WEBHOOK);
    return undefined;
  }
  return read;
}

function optionalString(
  body: Record<string, unknown>,
  key: string,
  problems: string[],
  max: number,
): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.length > max) {
    problems.push(`${key}: must be a non-empty string of at most ${max} characters`);
    return undefined;
  }
  return v;
}

function unknownKeys(body: Record<string, unknown>, allowed: readonly string[], problems: string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) problems.push(`unknown properties: ${extra.join(', ')}`);
}

interface InboundRequest {
  phoneNumberId: string;
  from: string;
  name: string | undefined;
  message: Record<string, unknown>;
}

/** `{phoneNumberId, from, name?, text}` or `{phoneNumberId, from, name?, message}`. */
export function parseInbound(body: unknown): Parsed<InboundRequest> {
  if (!isRecord(body)) return { ok: false, problems: ['the body must be a JSON object'] };
  const problems: string[] = [];
  unknownKeys(body, ['phoneNumberId', 'from', 'name', 'text', 'message'], problems);
  const phoneNumberId = body['phoneNumberId'];
  if (typeof phoneNumberId !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(phoneNumberId)) {
    problems.push('phoneNumberId: required, the provider id of the number (1..64 of A-Z a-z 0-9 _ . -)');
  }
  const from = body['from'];
  if (typeof from !== 'string' || !/^\d{8,15}$/.test(from)) {
    problems.push('from: required, the customer number as 8..15 digits');
  }
  const name = optionalString(body, 'name', problems, 256);
  const text = body['text'];
  const msg = body['message'];
  let message: Record<string, unknown> | undefined;
  if (text !== undefined && msg !== undefined) problems.push('give either text or message, not both');
  else if (text !== undefined) {
    if (typeof text !== 'string' || text === '' || text.length > MAX_TEXT) {
      problems.push(`text: must be a non-empty string of at most ${MAX_TEXT} characters`);
    } else message = { type: 'text', text: { body: text } };
  } else if (msg !== undefined) {
    if (!isRecord(msg)) problems.push('message: must be an object');
    else {
      const type = msg['type'];
      if (typeof type !== 'string' || !INBOUND_TYPES.has(type)) {
        problems.push(`message.type: must be one of ${[...INBOUND_TYPES].join(', ')}`);
      } else if (!NO_CONTENT_TYPES.has(type)) {
        const content = msg[type];
        const okContent = type === 'contacts' ? Array.isArray(content) : isRecord(content);
        if (!okContent) {
          problems.push(`message.${type}: required, ${type === 'contacts' ? 'an array' : 'an object'}`);
        }
      }
      for (const k of ['from', 'id', 'timestamp']) {
        if (k in msg) problems.push(`message.${k}: set by the sandbox, leave it out`);
      }
      const context = msg['context'];
      if (context !== undefined && (!isRecord(context) || typeof context['id'] !== 'string')) {
        problems.push('message.context: must be an object with id (the wamid replied to)');
      }
      message = msg;
    }
  } else problems.push('text or message: one is required');
  if (problems.length > 0 || message === undefined) return { ok: false, problems };
  return {
    ok: true,
    value: { phoneNumberId: phoneNumberId as string, from: from as string, name, message },
  };
}

/** `POST /_sandbox/inbound`: a signed inbound message, as a customer would send it. */
export async function handleInbound(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const what = 'Invalid inbound message';
  const read = await begin(state, req, res, what);
  if (read === undefined) return;
  const parsed = parseInbound(read.body);
  if (!parsed.ok) return sendBadRequest(res, { message: what, details: parsed.problems.join('; ') });
  const { phoneNumberId, from, name, message } = parsed.value;
  const wamid = state.nextWamid();
  const { type, context, ...content } = message;
  const inbound: Record<string, unknown> = {};
  if (isRecord(context)) {
    inbound['context'] = { from: messagesMetadata(phoneNumberId)['display_phone_number'], ...context };
  }
  Object.assign(inbound, { from, id: wamid, timestamp: unixSeconds(), type, ...content });
  const contact: Record<string, unknown> =
    name !== undefined ? { profile: { name }, wa_id: from } : { wa_id: from };
  const body = JSON.stringify(
    envelope('messages', {
      messaging_product: 'whatsapp',
      metadata: messagesMetadata(phoneNumberId),
      contacts: [contact],
      messages: [inbound],
    }),
  );
  answer(res, await state.webhooks.postAndWait(body), { wamid });
}

interface TemplateStatusRequest {
  wabaId: string;
  templateName: string;
  language: string;
  status: string;
  reason: string;
  templateId: number | string;
}

/** A stable id for a template the caller did not name: 15 digits from its WABA, name and language. */
function templateIdFor(wabaId: string, name: string, language: string): number {
  const h = createHash('sha1').update(`${wabaId}\u0000${name}\u0000${language}`).digest();
  return 100_000_000_000_000 + (h.readUIntBE(0, 6) % 900_000_000_000_000);
}

export function parseTemplateStatus(body: unknown): Parsed<TemplateStatusRequest> {
  if (!isRecord(body)) return { ok: false, problems: ['the body must be a JSON object'] };
  const problems: string[] = [];
  unknownKeys(body, ['wabaId', 'templateName', 'language', 'status', 'reason', 'templateId'], problems);
  const required = (key: string, re: RegExp, hint: string): string => {
    const v = body[key];
    if (typeof v !== 'string' || !re.test(v)) problems.push(`${key}: required, ${hint}`);
    return typeof v === 'string' ? v : '';
  };
  const wabaId = required('wabaId', /^[A-Za-z0-9_.-]{1,64}$/, 'the WABA id (1..64 of A-Z a-z 0-9 _ . -)');
  const templateName = required('templateName', /^.{1,512}$/s, 'the template name');
  const language = required('language', /^[A-Za-z_]{2,16}$/, 'a language code such as en_US');
  const status = required('status', /^[A-Z_]{2,64}$/, 'the event, e.g. APPROVED, REJECTED, PAUSED, DISABLED');
  const reason = optionalString(body, 'reason', problems, 1000);
  const rawId = body['templateId'];
  let templateId: number | string | undefined;
  if (rawId !== undefined) {
    if (typeof rawId === 'string' && /^[1-9]\d{0,15}$/.test(rawId) && Number.isSafeInteger(Number(rawId))) {
      templateId = Number(rawId); // a number, as Meta sends it
    } else if (typeof rawId === 'number' && Number.isSafeInteger(rawId) && rawId > 0) templateId = rawId;
    else if (typeof rawId === 'string' && rawId !== '' && rawId.length <= 64) templateId = rawId;
    else problems.push('templateId: must be digits (or a non-empty string of at most 64 characters)');
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      wabaId,
      templateName,
      language,
      status,
      reason: reason ?? 'NONE',
      templateId: templateId ?? templateIdFor(wabaId, templateName, language),
    },
  };
}

/** `POST /_sandbox/templates/status`: a `message_template_status_update` (docs/meta-cloud-api.md §5.6). */
export async function handleTemplateStatus(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const what = 'Invalid template status';
  const read = await begin(state, req, res, what);
  if (read === undefined) return;
  const parsed = parseTemplateStatus(read.body);
  if (!parsed.ok) return sendBadRequest(res, { message: what, details: parsed.problems.join('; ') });
  const t = parsed.value;
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: t.wabaId,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field: 'message_template_status_update',
            value: {
              event: t.status,
              message_template_id: t.templateId,
              message_template_name: t.templateName,
              message_template_language: t.language,
              reason: t.reason,
            },
          },
        ],
      },
    ],
  });
  answer(res, await state.webhooks.postAndWait(body), { templateId: t.templateId });
}

/** `POST /_sandbox/webhook`: any JSON body, signed and posted exactly as given. */
export async function handleRawWebhook(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const read = await begin(state, req, res, 'Invalid webhook body');
  if (read === undefined) return;
  answer(res, await state.webhooks.postAndWait(read.raw));
}
