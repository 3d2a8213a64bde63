/**
 * The sandbox's own routes under `/_sandbox/`: the call log (`calls`, `calls/summary`), the
 * magic numbers (`numbers`) and the fault mix (`chaos`). Not Meta's: tests and the benchmark use
 * them to see what the dispatcher sent and to inject faults.
 */
import type http from 'node:http';
import { parseChaosSettings } from '../chaos';
import { MAX_BODY_BYTES, readBody, sendBadRequest, sendJson } from '../http-io';
import { SANDBOX_NUMBERS, SANDBOX_NUMBER_DOCS, SANDBOX_TEMPLATES, SANDBOX_TOKENS } from '../numbers';
import type { SandboxState } from '../sandbox-state';
import { SANDBOX_WABAS } from './templates';

const DEFAULT_LIST_LIMIT = 1000;

/** `GET /_sandbox/calls/summary[?phoneNumberId=…][&perMessage=true]`. */
export function handleSummary(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  query: string,
): void {
  if (req.method !== 'GET') return sendJson(res, 405, { error: { message: 'Use GET', code: 405 } });
  const params = new URLSearchParams(query);
  const phoneNumberId = params.get('phoneNumberId');
  const summaryOpts: { phoneNumberId?: string; perMessage?: boolean } = {
    perMessage: params.get('perMessage') === 'true',
  };
  if (phoneNumberId !== null) summaryOpts.phoneNumberId = phoneNumberId;
  sendJson(res, 200, state.summary(summaryOpts));
}

/** `GET | PUT | DELETE /_sandbox/chaos`: a bad `PUT` body is a 400 listing every problem. */
export async function handleChaos(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (req.method === 'GET') {
    req.resume();
    return sendJson(res, 200, state.chaos.state());
  }
  if (req.method === 'DELETE') {
    req.resume();
    state.setChaos(null);
    return sendJson(res, 200, state.chaos.state());
  }
  if (req.method !== 'PUT') {
    req.resume();
    return sendJson(res, 405, { error: { message: 'Use GET, PUT or DELETE', code: 405 } });
  }
  const { text, tooLarge } = await readBody(req);
  const badRequest = (details: string): void =>
    sendBadRequest(res, { message: 'Invalid chaos settings', details });
  if (tooLarge) return badRequest(`The request body exceeds ${MAX_BODY_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return badRequest('The request body is not valid JSON');
  }
  const parsed = parseChaosSettings(body);
  if (!parsed.ok) return badRequest(parsed.problems.join('; '));
  state.setChaos(parsed.settings);
  sendJson(res, 200, state.chaos.state());
}

/** `GET /_sandbox/calls[?bizOpaque=…][&phoneNumberId=…][&limit=N]`, `DELETE /_sandbox/calls`. */
export function handleCalls(
  state: SandboxState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  query: string,
): void {
  if (req.method === 'DELETE') {
    state.reset();
    return sendJson(res, 200, { reset: true });
  }
  if (req.method !== 'GET') return sendJson(res, 405, { error: { message: 'Use GET or DELETE', code: 405 } });
  const params = new URLSearchParams(query);
  const bizOpaque = params.get('bizOpaque');
  const phoneNumberId = params.get('phoneNumberId');
  const limitParam = params.get('limit');
  const limit = limitParam !== null && /^\d+$/.test(limitParam) ? Number(limitParam) : DEFAULT_LIST_LIMIT;
  const selection = state.callLog.where(
    phoneNumberId !== null ? (c) => c.phoneNumberId === phoneNumberId : () => true,
    bizOpaque ?? undefined,
  );
  sendJson(res, 200, { count: selection.count, calls: selection.calls(limit) });
}

/** `GET /_sandbox/numbers`: the magic numbers, template names and tokens with their behaviour. */
export function handleNumbers(state: SandboxState, res: http.ServerResponse): void {
  sendJson(res, 200, {
    numbers: Object.fromEntries(
      (Object.keys(SANDBOX_NUMBERS) as (keyof typeof SANDBOX_NUMBERS)[]).map((k) => [
        k,
        { to: SANDBOX_NUMBERS[k], behaviour: SANDBOX_NUMBER_DOCS[k] },
      ]),
    ),
    templates: SANDBOX_TEMPLATES,
    tokens: SANDBOX_TOKENS,
    wabas: {
      RATE_LIMITED: {
        id: SANDBOX_WABAS.RATE_LIMITED,
        behaviour: 'message_templates: HTTP 400, 4 Application request limit reached, always',
      },
    },
    slowMs: state.slowMs,
    chaos: state.chaos.state(),
  });
}
