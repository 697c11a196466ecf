// The webhook receiver moved to @carehub/testkit-hub (docs/decisions/0046-testkit-hub-package.md).
export { type Delivery, TestReceiver } from "@carehub/testkit-hub";
