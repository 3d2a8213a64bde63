import type { Sandbox } from '../src/index';

export interface Answer {
  status: number;
  json: unknown;
  text: string;
  headers: Headers;
}

export interface PostOptions {
  token?: string | null;
  phoneNumberId?: string;
  version?: string | null;
  raw?: string;
}

/** POSTs a send-message body to the sandbox the way the Cloud API client does. */
export async function post(sandbox: Sandbox, body: unknown, opts: PostOptions = {}): Promise<Answer> {
  const version = opts.version === undefined ? 'v25.0' : opts.version;
  const path = `${version !== null ? `/${version}` : ''}/${opts.phoneNumberId ?? '1098765432'}/messages`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = opts.token === undefined ? 'test-token' : opts.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers,
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export function metaError(answer: Answer): {
  code: number;
  message: string;
  type: string;
  details: string | undefined;
  fbtrace_id: string;
} {
  const error = (answer.json as { error?: unknown } | undefined)?.error as
    | {
        code: number;
        message: string;
        type: string;
        error_data?: { details?: string; messaging_product?: string };
        fbtrace_id: string;
      }
    | undefined;
  if (error === undefined)
    throw new Error(`expected a Meta error object, got HTTP ${answer.status}: ${answer.text}`);
  return {
    code: error.code,
    message: error.message,
    type: error.type,
    details: error.error_data?.details,
    fbtrace_id: error.fbtrace_id,
  };
}

export function successOf(answer: Answer): {
  wamid: string;
  waId: string | undefined;
  input: string | undefined;
  messageStatus: string | undefined;
} {
  const json = answer.json as
    | {
        messaging_product?: string;
        contacts?: { input?: string; wa_id?: string }[];
        messages?: { id?: string; message_status?: string }[];
      }
    | undefined;
  const id = json?.messages?.[0]?.id;
  if (answer.status !== 200 || json?.messaging_product !== 'whatsapp' || typeof id !== 'string') {
    throw new Error(`expected a success body, got HTTP ${answer.status}: ${answer.text}`);
  }
  return {
    wamid: id,
    waId: json.contacts?.[0]?.wa_id,
    input: json.contacts?.[0]?.input,
    messageStatus: json.messages?.[0]?.message_status,
  };
}

export function textBody(to: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'text',
    text: { body: 'Hello' },
    ...extra,
  };
}

export function templateBody(to: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    to,
    type: 'template',
    template: {
      name: 'order_update',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }],
    },
    ...extra,
  };
}
