export {
  LIMITS,
  StringEnum,
  Discriminated,
  exactlyOneOf,
  errorMessages,
  type ErrorMessages,
  Uuid,
  PhoneInput,
  PhoneDigits,
  PHONE_INPUT_PATTERN,
  PHONE_DIGITS_PATTERN,
  normalisePhone,
  HttpsUrl,
  MEDIA_ID_PATTERN,
  PARAM_TEXT_PATTERN,
  PARAM_TEXT_MESSAGE,
} from './common';
export * from './interactive';
export * from './template';
export * from './send';
export * from './examples';
export * from './fliok';
