const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/**
 * Alertmanager's fingerprint of a label set (`model.LabelsToSignature`): FNV-1a 64 over the label
 * names in order, each name and value followed by a 0xff byte; 16 hex digits. The same labels give
 * the same fingerprint here, in Alertmanager and in its API.
 * @internal
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  let h = OFFSET;
  for (const name of Object.keys(labels).sort()) {
    for (const part of [name, labels[name]!]) {
      for (const byte of encoder.encode(part)) h = ((h ^ BigInt(byte)) * PRIME) & MASK;
      h = ((h ^ 0xffn) * PRIME) & MASK;
    }
  }
  return h.toString(16).padStart(16, '0');
}
