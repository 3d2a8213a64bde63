/**
 * Meta's template list, `GET /{version}/{waba-id}/message_templates` (docs/meta-cloud-api.md §7),
 * for the business accounts the sandbox was given templates for (`templates` option,
 * `setTemplates`, `PUT /_sandbox/waba/{waba-id}/message_templates`): `limit` (default 25, at most
 * 100), `after` (the cursor of the previous page), `fields` (only those keys, and `id`, are
 * returned); `paging.cursors` on every page and `paging.next` while there is more. Like Meta it
 * needs `Authorization: Bearer <token>` (`sandbox-expired-token`: 401, code 190) and answers
 * 400 code 100 (subcode 33) for an account it does not know. The magic account
 * `SANDBOX_WABAS.RATE_LIMITED` always answers 400 code 4 (application request limit).
 */
import type http from 'node:http';
import { bearerToken, isRecord, MAX_BODY_BYTES, readBody, sendBadRequest, sendJson } from '../http-io';
import { httpStatusForCode, metaErrorBody, newFbtraceId, type MetaErrorOptions } from '../meta-errors';
import { SANDBOX_TOKENS } from '../numbers';
import type { SandboxState } from '../sandbox-state';

export const TEMPLATES_PATH = /^\/(?:(v\d+\.\d+)\/)?(\d{1,32})\/message_templates\/?$/;
export const SANDBOX_TEMPLATES_ADMIN_PATH = /^\/_sandbox\/waba\/(\d{1,32})\/message_templates\/?$/;

/** Magic business-account ids. */
export const SANDBOX_WABAS = {
  /** `GET …/message_templates`: always HTTP 400, code 4 "Application request limit reached". */
  RATE_LIMITED: '100000000000429',
} as const;

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;

const encodeCursor = (offset: number): string => Buffer.from(`offset:${offset}`).toString('base64url');
function decodeCursor(cursor: string): number | undefined {
  const m = /^offset:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

export function handleTemplateList(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  version: string,
  wabaId: string,
  query: string,
): void {
  const traceId = newFbtraceId();
  const fail = (code: number, opts: MetaErrorOptions = {}): void =>
    sendJson(res, httpStatusForCode(code), metaErrorBody(code, { ...opts, fbtraceId: traceId }), traceId);
  if (req.method !== 'GET') return fail(100, { details: 'Use GET to list templates' });
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) return fail(190);
  if (token === SANDBOX_TOKENS.EXPIRED)
    return fail(190, { message: 'Error validating access token: Session has expired.', subcode: 463 });
  if (wabaId === SANDBOX_WABAS.RATE_LIMITED) return fail(4);
  const templates = state.templatesOf(wabaId);
  if (templates === undefined)
    return fail(100, {
      message: `Unsupported get request. Object with ID '${wabaId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      subcode: 33,
    });

  const params = new URLSearchParams(query);
  const limitParam = params.get('limit');
  const limit = limitParam === null ? DEFAULT_LIMIT : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    return fail(100, { details: `limit must be a whole number from 1 to ${MAX_LIMIT}` });
  const afterParam = params.get('after');
  const offset = afterParam === null ? 0 : decodeCursor(afterParam);
  if (offset === undefined) return fail(100, { details: 'Invalid cursor in after' });
  const fieldsParam = params.get('fields');
  const fields = fieldsParam === null ? undefined : new Set(['id', ...fieldsParam.split(',')]);

  const page = templates
    .slice(offset, offset + limit)
    .map((t) =>
      fields === undefined ? t : Object.fromEntries(Object.entries(t).filter(([k]) => fields.has(k))),
    );
  const end = offset + page.length;
  const body: Record<string, unknown> = { data: page };
  if (page.length > 0) {
    const paging: Record<string, unknown> = {
      cursors: { before: encodeCursor(offset), after: encodeCursor(end) },
    };
    if (end < templates.length) {
      const next = new URLSearchParams(params);
      next.set('after', encodeCursor(end));
      next.set('limit', String(limit));
      const host = req.headers.host ?? '127.0.0.1';
      paging['next'] = `http://${host}/${version || 'v25.0'}/${wabaId}/message_templates?${next.toString()}`;
    }
    body['paging'] = paging;
  }
  sendJson(res, 200, body, traceId);
}

/**
 * `GET | PUT /_sandbox/waba/{waba-id}/message_templates`: read or replace the account's templates
 * (`{"templates": [<as Meta's template API returns them>]}`; ids are given to those without one).
 */
export async function handleTemplatesAdmin(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  wabaId: string,
): Promise<void> {
  if (req.method === 'GET') {
    req.resume();
    return sendJson(res, 200, { templates: state.templatesOf(wabaId) ?? [] });
  }
  if (req.method !== 'PUT') {
    req.resume();
    return sendJson(res, 405, { error: { message: 'Use GET or PUT', code: 405 } });
  }
  const { text, tooLarge } = await readBody(req);
  if (tooLarge) return sendBadRequest(res, { details: `The request body exceeds ${MAX_BODY_BYTES} bytes` });
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return sendBadRequest(res, { details: 'The request body is not valid JSON' });
  }
  const list = isRecord(body) ? body['templates'] : undefined;
  if (!Array.isArray(list) || !list.every(isRecord))
    return sendBadRequest(res, { details: 'Send {"templates": [<template objects>]}' });
  state.setTemplates(wabaId, list);
  sendJson(res, 200, { templates: state.templatesOf(wabaId) ?? [] });
}
