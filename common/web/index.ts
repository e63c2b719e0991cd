export type { ClientAuthType, WebConfig } from "./config.js";
export {
  DEFAULT_WEB_FLAGS,
  INSECURE_WEB_FLAGS,
  WEB_FLAGS,
  WEB_USAGE,
  type WebFlags,
  webFlags,
} from "./flags.js";
export { type AuthMethod, type Identity, identityOf } from "./identity.js";
export {
  type LegacyAuth,
  type RefusalReason,
  WebSecurity,
  type WebSecurityOptions,
} from "./security.js";
