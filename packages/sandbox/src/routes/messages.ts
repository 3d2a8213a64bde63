/**
 * `POST /{version}/{phone-number-id}/messages`: authenticates like Meta (before the body), checks
 * the body (../validate), logs the call, and answers with the outcome ../outcome decides. After an
 * answered 200, Meta's status webhooks follow when a webhook is set (../webhooks).
 */
import type http from 'node:http';
import type { StoredCall } from '../call-log';
import type { ChaosFault } from '../chaos';
import { bearerToken, isRecord, MAX_BODY_BYTES, readBody, sendJson } from '../http-io';
import { httpStatusForCode, metaErrorBody, newFbtraceId, type MetaErrorOptions } from '../meta-errors';
import { SANDBOX_TOKENS, sandboxNumberFor } from '../numbers';
import { decideOutcome } from '../outcome';
import type { SandboxState } from '../sandbox-state';
import { checkMessageBody } from '../validate';

export const MESSAGES_PATH = /^\/(?:(v\d+\.\d+)\/)?([A-Za-z0-9_.-]+)\/messages\/?$/;

export async function handleMessages(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  version: string,
  phoneNumberId: string,
): Promise<void> {
  const at = Date.now();
  const { text: raw, tooLarge } = await readBody(req);
  const traceId = newFbtraceId();
  let body: unknown = raw === '' ? undefined : raw;
  let isJson = false;
  if (raw !== '') {
    try {
      body = JSON.parse(raw) as unknown;
      isJson = true;
    } catch {
      // keep the raw text in the log
    }
  }
  const bizOpaque =
    isRecord(body) && typeof body['biz_opaque_callback_data'] === 'string'
      ? body['biz_opaque_callback_data']
      : undefined;
  const record = (
    status: number,
    extra?: { wamid?: string; errorCode?: number; fault?: ChaosFault },
  ): void => {
    const call: StoredCall = {
      phoneNumberId,
      version,
      raw: raw === '' ? undefined : raw,
      json: isJson,
      bizOpaque,
      status,
      at,
    };
    if (extra?.wamid !== undefined) call.wamid = extra.wamid;
    if (extra?.errorCode !== undefined) call.errorCode = extra.errorCode;
    if (extra?.fault !== undefined) call.fault = extra.fault;
    state.callLog.add(call);
  };
  const fail = (code: number, errOpts: MetaErrorOptions = {}, fault?: ChaosFault): void => {
    const status = httpStatusForCode(code);
    record(status, fault !== undefined ? { errorCode: code, fault } : { errorCode: code });
    sendJson(res, status, metaErrorBody(code, { ...errOpts, fbtraceId: traceId }), traceId);
  };
  const tokenExpired = (): void =>
    fail(190, { message: 'Error validating access token: Session has expired.', subcode: 463 });

  // Meta authenticates before it looks at the body.
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) return fail(190);
  if (token === SANDBOX_TOKENS.EXPIRED) return tokenExpired();
  if (tooLarge) return fail(100, { details: `The request body exceeds ${MAX_BODY_BYTES} bytes` });
  if (!isJson)
    return fail(100, {
      details: raw === '' ? 'The request body is empty' : 'The request body is not valid JSON',
    });

  const rawTo = isRecord(body) && typeof body['to'] === 'string' ? body['to'] : undefined;
  const magic = sandboxNumberFor(rawTo);
  if (magic === 'TOKEN_EXPIRED') return tokenExpired();

  const check = checkMessageBody(body);
  if (!check.ok) return fail(check.code, { details: check.details });
  if (check.kind === 'status') {
    record(200);
    return sendJson(res, 200, { success: true }, traceId);
  }

  const outcome = decideOutcome(state, { check, magic, phoneNumberId, rawTo, raw });
  const isTemplate = check.type === 'template';
  switch (outcome.kind) {
    case 'error':
      return fail(outcome.code, outcome.opts, outcome.fault);
    case 'bad-gateway': {
      record(502);
      const html = '<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>';
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return;
    }
    case 'drop': {
      // Meta "accepted" it, but the answer never reaches the caller.
      record(200, { wamid: state.nextWamid() });
      req.socket.destroy();
      return;
    }
    case 'success':
    case 'slow': {
      const wamid = state.nextWamid();
      record(200, outcome.kind === 'slow' && outcome.fault ? { wamid, fault: outcome.fault } : { wamid });
      const message: Record<string, string> = { id: wamid };
      const messageStatus = outcome.kind === 'success' ? outcome.messageStatus : undefined;
      if (messageStatus !== undefined) message['message_status'] = messageStatus;
      else if (isTemplate) message['message_status'] = 'accepted';
      const contact: Record<string, string> =
        rawTo !== undefined
          ? { input: rawTo, wa_id: rawTo.replace(/\D/g, '') }
          : { input: check.recipient ?? '' };
      const payload = { messaging_product: 'whatsapp', contacts: [contact], messages: [message] };
      // Meta's status webhooks follow an answered 200 (none when no webhook is set).
      const statuses = (): void => {
        if (!state.webhooks.enabled) return;
        state.webhooks.accepted({
          phoneNumberId,
          wamid,
          recipientId: (rawTo ?? check.recipient ?? '').replace(/\D/g, ''),
          bizOpaque,
          isTemplate,
          ending:
            magic === 'DELIVERED_NOT_READ' ? 'delivered' : magic === 'FAILED_AFTER_SENT' ? 'failed' : 'read',
        });
      };
      if (outcome.kind === 'success') {
        sendJson(res, 200, payload, traceId);
        return statuses();
      }
      const timer = setTimeout(() => {
        state.timers.delete(timer);
        if (!res.destroyed && !res.writableEnded) {
          sendJson(res, 200, payload, traceId);
          statuses();
        }
      }, outcome.delayMs);
      state.timers.add(timer);
      return;
    }
  }
}
