import { ConfigurationError } from '../errors/MonitoringError.js';
import { fs } from '../internal/builtins.js';
import { lazyRequire } from '../internal/lazyRequire.js';
import type { AlertRule } from './types.js';

// yaml is ~70 CommonJS modules: loaded when a rule file is read, not when alerting is imported.
const yaml = lazyRequire<typeof import('yaml')>('yaml');

/** Environment variable naming a YAML or JSON file of alert rules. */
export const ALERT_RULES_ENV = 'MONITORING_ALERT_RULES';

/**
 * Reads alert rules from a YAML or JSON file: a list of rules, or `{ rules: [...] }`. The rules are
 * validated when alerting is created; this only checks the file's shape.
 *
 * @example
 * createAlerting(monitoring, { rules: loadAlertRules('./alerts.yaml') });
 */
export function loadAlertRules(path: string, option = 'rules file'): AlertRule[] {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigurationError(option, path, `a readable file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    doc = yaml().parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    throw new ConfigurationError(option, path, `valid YAML or JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const rules = Array.isArray(doc) ? doc : doc !== null && typeof doc === 'object' && Array.isArray((doc as { rules?: unknown }).rules) ? (doc as { rules: unknown[] }).rules : undefined;
  if (rules === undefined) throw new ConfigurationError(option, path, 'a file holding a list of rules, or an object with a `rules` list');
  return rules as AlertRule[];
}
