/**
 * Limits from Meta's documentation (docs/meta-cloud-api.md §1.7) that apply to partner
 * input, plus the few caps Flowgate adds where Meta documents none (marked "Flowgate cap").
 * Defined once for every package: the request schemas here and the template checks of
 * @flowgate/whatsapp-cloud (send time and creation) read them from here.
 */
export const LIMITS = {
  textBody: 4096,
  mediaCaption: 1024,
  mediaUrl: 2000,
  mediaId: 256,
  /** Flowgate cap: Meta documents none; long enough for any real file name. */
  filename: 240,
  interactiveBody: 1024,
  interactiveHeaderText: 60,
  interactiveFooter: 60,
  replyButtonsMax: 3,
  replyButtonTitle: 20,
  replyButtonId: 256,
  listButton: 20,
  listSectionsMax: 10,
  listRowsTotalMax: 10,
  listRowId: 200,
  listRowTitle: 24,
  listRowDescription: 72,
  listSectionTitle: 24,
  ctaDisplayText: 20,
  ctaUrl: 2000,
  templateName: 512,
  templateBody: 1024,
  templateHeaderText: 60,
  templateButtonsMax: 10,
  /** Template creation only (`pnpm cli template:add`): footer, button text, phone-number button. */
  templateFooter: 60,
  templateButtonText: 25,
  templatePhoneNumber: 20,
  templateUrl: 2000,
  couponCode: 15,
  carouselCardsMax: 10,
  carouselCardBody: 160,
  carouselCardButtonsMax: 2,
  /** Flowgate cap on one quick-reply payload (Meta documents none). */
  quickReplyPayload: 1000,
  /** Flowgate caps on location names and addresses (Meta documents none). */
  locationName: 1000,
  locationAddress: 1000,
  /** Flowgate cap on the JSON-string form of interactive `content`. */
  interactiveJsonString: 32768,
  /** Flowgate cap on the number of keys in a variables object. */
  variablesMaxKeys: 300,
} as const;
