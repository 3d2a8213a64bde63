/**
 * Stored WhatsApp templates: choosing the one a send request names, the variables each expects,
 * and turning a request's values into the Cloud API `template` object (docs/meta-cloud-api.md §1.5–1.6).
 *
 * Everything here is pure and throws `UnprocessableError`s with stable codes, so the public API
 * can run it at accept time (422 with precise details) and the dispatcher again at send time.
 */
import { readTemplateModel, templateSlots } from './template-model';
import { checkAdvancedComponents } from './template-advanced-form';
import { buildSimpleComponents } from './template-simple-form';
import type { CloudApiTemplateObject, StoredTemplate, TemplateSendRequest } from './template-types';

export {
  validateTemplateDefinition,
  TEMPLATE_LIMITS,
  TEMPLATE_CATEGORIES,
  TEMPLATE_STATUSES,
} from './template-definition';
export type {
  TemplateDefinition,
  TemplateDefinitionError,
  TemplateDefinitionResult,
} from './template-definition';
export { templateKeys, readTemplateModel } from './template-model';
export type { TemplateModel, ParameterFormat } from './template-model';
export type { TemplateSendRequest, StoredTemplate, CloudApiTemplateObject } from './template-types';
export { selectTemplate } from './template-selection';
export { TEMPLATE_PARAM_LIMITS, textRuleViolation } from './template-rules';

/** The simple-form keys a template expects, in a stable order: main bubble, then card by card. */
export function deriveTemplateVariables(components: readonly unknown[]): string[] {
  return templateSlots(readTemplateModel(components)).map((s) => s.key);
}

/**
 * The Cloud API `template` object for a send request against its stored template. Throws
 * `UnprocessableError('TEMPLATE_PARAMS_MISMATCH')` listing every missing, unexpected or invalid
 * value at once.
 */
export function buildTemplateObject(
  template: StoredTemplate,
  request: TemplateSendRequest,
): CloudApiTemplateObject {
  const model = readTemplateModel(template.components);
  const base = { name: template.name, language: { code: template.language } };
  if (request.templateComponents !== undefined) {
    checkAdvancedComponents(model, request.templateComponents);
    return request.templateComponents.length > 0
      ? { ...base, components: [...request.templateComponents] }
      : base;
  }
  const components = buildSimpleComponents(model, request);
  return components.length > 0 ? { ...base, components } : base;
}
