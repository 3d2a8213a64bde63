import { Type } from '@sinclair/typebox';
import { LIMITS, errorMessages } from './common';

// ---------------------------------------------------------------------------------------------
// Template name and language
// ---------------------------------------------------------------------------------------------

export const TemplateNameSchema = Type.String({
  minLength: 1,
  maxLength: LIMITS.templateName,
  pattern: '^[a-z0-9_]+$',
  description: 'Name of an approved template of the workspace.',
  examples: ['order_confirmation'],
  ...errorMessages({ pattern: 'must contain only lowercase letters, digits and underscores' }),
});

export const TemplateLanguageSchema = Type.String({
  pattern: '^[a-z]{2,3}(?:_[A-Z]{2})?$',
  description:
    "Template language code, e.g. 'en', 'en_US', 'pt_BR', 'zh_CN'. 'en' matches a stored 'en_US' when that is the only candidate.",
  examples: ['en', 'en_US', 'pt_BR'],
  ...errorMessages({ pattern: "must be a language code such as 'en', 'en_US', 'pt_BR' or 'zh_CN'" }),
});

export * from './template-variables';
export * from './template-components';
export * from './template-checks';
