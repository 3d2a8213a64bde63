/** A connected WhatsApp sending number, as the API shows it (never its token). */
export interface SendingNumber {
  id: string;
  workspaceId: string;
  providerPhoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string | null;
  isDefault: boolean;
  /** Meta's webhook has delivered a signed event for it: the 24 h rule applies at accept time. */
  webhookConnected: boolean;
}

/** What the dispatcher needs to call the provider from a number. */
export interface SendingNumberRow {
  providerPhoneNumberId: string;
  accessTokenEncrypted: string;
  workspaceId: string;
  /** The number's own rate, when it has one. */
  messagesPerSecond: number | null;
  /** Milliseconds left of an account-level pause; 0 when not paused. */
  pausedForMs: number;
}

export interface NewPhoneNumber {
  id: string;
  workspaceId: string;
  providerPhoneNumberId: string;
  displayPhoneNumber: string;
  wabaId: string | null;
  accessTokenEncrypted: string;
  /** Make it the default; the first number of a workspace always becomes the default. */
  isDefault: boolean;
  messagesPerSecond: number | null;
}

/** The dispatcher's side: the number's token, rate and pause (ADR 0013). */
export interface SendingNumberStore {
  /** The sending number: provider id, encrypted token, its own rate and pause. */
  sendingNumber(phoneNumberId: string): Promise<SendingNumberRow | undefined>;
  /** Rate and pause of several numbers (the once-a-second refresh). */
  numberStates(
    ids: readonly string[],
  ): Promise<Map<string, { messagesPerSecond: number | null; pausedForMs: number }>>;
  /** Pauses a number for every dispatcher (a longer pause already set stands). */
  pauseNumber(phoneNumberId: string, ms: number, reason: string): Promise<void>;
}

export interface PhoneNumberStore extends SendingNumberStore {
  /** Inserts a number; 'duplicate' when the workspace already has this provider number. */
  insert(number: NewPhoneNumber): Promise<'created' | 'duplicate'>;
  /** The workspace's active numbers, default first, then oldest first. */
  active(workspaceId: string): Promise<SendingNumber[]>;
  /** The workspace's active numbers, oldest first. */
  list(workspaceId: string): Promise<SendingNumber[]>;
  /** One number with its encrypted token. */
  withToken(
    phoneNumberId: string,
  ): Promise<{ number: SendingNumber; accessTokenEncrypted: string } | undefined>;
  /** The workspace's number with this provider id, if connected. */
  findByProviderId(workspaceId: string, providerPhoneNumberId: string): Promise<SendingNumber | undefined>;
  /** Sets the number's WABA id when it has none (demo numbers made before they had one); true when set. */
  setWabaIdIfMissing(workspaceId: string, providerPhoneNumberId: string, wabaId: string): Promise<boolean>;
}
