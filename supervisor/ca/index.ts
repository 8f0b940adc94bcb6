// Public face of the per-install certificate authority.

export { CaError } from './ca-error.ts';
export { CA_CERT_FILE, CA_KEY_FILE } from './ca-files.ts';
export {
  CertificateAuthority,
  type CertificateAuthorityOptions,
  DEFAULT_LEAF_CACHE_SIZE,
} from './certificate-authority.ts';
export { LEAF_DAYS } from './leaf.ts';
