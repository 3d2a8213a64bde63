/**
 * The exact JSON body of `POST /{version}/{phone-number-id}/messages` for a normalised partner
 * request (docs/meta-cloud-api.md §1). Pure: no I/O, no clock, no randomness.
 */
import type { MetaInteractive, SendMessageRequest } from '@flowgate/contracts';
import { buildTemplateObject, type CloudApiTemplateObject, type StoredTemplate } from './templates';

export type CloudApiMediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';

/** Exactly one of `id` / `link`; `caption` for image, video and document; `filename` for documents. */
export type CloudApiMedia = ({ id: string } | { link: string }) & { caption?: string; filename?: string };

export interface CloudApiLocation {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

interface Envelope {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
  /** Echoed by Meta in the status webhooks (≤512 characters); Flowgate puts its message id here. */
  biz_opaque_callback_data?: string;
}

export type CloudApiMessageBody = Envelope &
  (
    | { type: 'text'; text: { body: string; preview_url: boolean } }
    | { type: 'image'; image: CloudApiMedia }
    | { type: 'video'; video: CloudApiMedia }
    | { type: 'audio'; audio: CloudApiMedia }
    | { type: 'document'; document: CloudApiMedia }
    | { type: 'sticker'; sticker: CloudApiMedia }
    | { type: 'location'; location: CloudApiLocation }
    | { type: 'interactive'; interactive: MetaInteractive }
    | { type: 'template'; template: CloudApiTemplateObject }
  );

export interface BuildCloudApiBodyInput {
  /** Recipient, digits only, country code first (already resolved from `phone` or `contactId`). */
  to: string;
  request: SendMessageRequest;
  /** The stored template `selectTemplate` chose; required for `type: 'template'`. */
  template?: StoredTemplate;
  bizOpaqueCallbackData?: string;
}

export const BIZ_OPAQUE_CALLBACK_DATA_MAX = 512;

const CAPTIONED: ReadonlySet<CloudApiMediaType> = new Set(['image', 'video', 'document']);

function mediaObject(
  kind: CloudApiMediaType,
  request: { mediaUrl?: string; mediaId?: string; caption?: string; filename?: string },
): CloudApiMedia {
  const source =
    request.mediaId !== undefined
      ? { id: request.mediaId }
      : request.mediaUrl !== undefined
        ? { link: request.mediaUrl }
        : undefined;
  if (!source) throw new TypeError(`a ${kind} message needs mediaId or mediaUrl`);
  return {
    ...source,
    ...(request.caption !== undefined && CAPTIONED.has(kind) ? { caption: request.caption } : {}),
    ...(request.filename !== undefined && kind === 'document' ? { filename: request.filename } : {}),
  };
}

/** The Cloud API send body for one message. */
export function buildCloudApiBody(input: BuildCloudApiBodyInput): CloudApiMessageBody {
  const { to, request, template, bizOpaqueCallbackData } = input;
  if (bizOpaqueCallbackData !== undefined && bizOpaqueCallbackData.length > BIZ_OPAQUE_CALLBACK_DATA_MAX) {
    throw new RangeError(
      `biz_opaque_callback_data is longer than ${BIZ_OPAQUE_CALLBACK_DATA_MAX} characters`,
    );
  }
  const envelope: Envelope = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    ...(bizOpaqueCallbackData !== undefined ? { biz_opaque_callback_data: bizOpaqueCallbackData } : {}),
  };
  switch (request.type) {
    case 'text':
      return {
        ...envelope,
        type: 'text',
        text: { body: request.content, preview_url: request.previewUrl ?? false },
      };
    case 'image':
      return { ...envelope, type: 'image', image: mediaObject('image', request) };
    case 'video':
      return { ...envelope, type: 'video', video: mediaObject('video', request) };
    case 'audio':
      return { ...envelope, type: 'audio', audio: mediaObject('audio', request) };
    case 'document':
      return { ...envelope, type: 'document', document: mediaObject('document', request) };
    case 'sticker':
      return { ...envelope, type: 'sticker', sticker: mediaObject('sticker', request) };
    case 'location':
      return {
        ...envelope,
        type: 'location',
        location: {
          latitude: request.latitude,
          longitude: request.longitude,
          ...(request.name !== undefined ? { name: request.name } : {}),
          ...(request.address !== undefined ? { address: request.address } : {}),
        },
      };
    case 'interactive':
      return { ...envelope, type: 'interactive', interactive: request.content };
    case 'template': {
      if (!template) throw new TypeError('a template message needs its stored template (selectTemplate)');
      return { ...envelope, type: 'template', template: buildTemplateObject(template, request) };
    }
  }
}
