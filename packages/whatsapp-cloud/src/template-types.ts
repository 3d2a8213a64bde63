/** The shapes the template modules share: the send request's template variant, a stored template, the Cloud API object. */
import type { SendMessageRequest } from '@flowgate/contracts';

/** The template variant of the normalised send request (`@flowgate/contracts`). */
export type TemplateSendRequest = Extract<SendMessageRequest, { type: 'template' }>;
export type TemplateCarouselCard = NonNullable<TemplateSendRequest['carousel']>['cards'][number];

/** A workspace's copy of one template in one language. */
export interface StoredTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  /** As Meta's template management API returns them (HEADER, BODY, FOOTER, BUTTONS, CAROUSEL). */
  components: unknown[];
  /** The simple-form keys the template expects (`deriveTemplateVariables`), computed when stored. */
  variables: string[];
}

/** The Cloud API `template` object of a send body. */
export interface CloudApiTemplateObject {
  name: string;
  language: { code: string };
  components?: unknown[];
}
