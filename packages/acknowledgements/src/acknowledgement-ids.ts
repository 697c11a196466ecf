// The ids are derived by the message ledger, the one owner of every id the hub derives for a message.
export {
  type AcknowledgementIds as NegativeAcknowledgementIds,
  derivedDigits,
  derivedUuid,
  negativeAcknowledgementIds,
} from "@carehub/ledger";
