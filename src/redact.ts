/**
 * Secrets must never reach workflow history, logs or notification errors. Everything that leaves
 * an activity, and every worker log line, goes through `redact`: it hides
 * - the userinfo of any URL (`https://user:pass@host` → `https://***@host`),
 * - every query-string value of a URL (`?token=abc` → `?token=***`): tokens travel there,
 * - `Bearer …` / `Basic …` credentials,
 * - the literal values of secret environment variables (by name: *SECRET*, *TOKEN*, *PASSWORD*,
 *   *API_KEY*, *WEBHOOK*, … plus whatever `registerSecret` was given, e.g. a webhook URL read from
 *   the variable a notify target names). A Slack webhook URL carries its secret in the path, so
 *   only its value as a whole can be recognised.
 */

export const MASK = '***';

/** Names of environment variables whose values are secrets. */
const SECRET_NAME = /SECRET|TOKEN|PASSW|API_?KEY|PRIVATE|CREDENTIAL|WEBHOOK|AUTH(?!OR)|COOKIE|SESSION/i;
/** Shorter values are too likely to occur by chance ("true", "1") to be searched for. */
const MIN_SECRET_LENGTH = 6;

const registered = new Set<string>();

/** Values found outside the naming rule (e.g. the URL in the variable a notify target names). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) registered.add(value);
}

export function isSecretEnvName(name: string): boolean {
  return SECRET_NAME.test(name);
}

function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = new Set(registered);
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= MIN_SECRET_LENGTH && isSecretEnvName(name)) values.add(value);
  }
  // Longest first, so a secret that contains another is hidden whole.
  return [...values].sort((a, b) => b.length - a.length);
}

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, `$1${MASK}@`)
    .replace(/([?&][^=&#]*=)[^&#]*/g, `$1${MASK}`);
}

export function redact(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const secret of secretValues(env)) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
    // The same secret percent-encoded, as it appears inside URLs.
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret && out.includes(encoded)) out = out.split(encoded).join(MASK);
  }
  out = out.replace(URL_RE, redactUrl);
  return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g, `$1 ${MASK}`);
}

/** Every string inside a JSON-like value, redacted (details of failures, log metadata). */
export function redactDeep<T>(value: T, env: NodeJS.ProcessEnv = process.env, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redact(value, env) as T;
  if (value instanceof Error) return redactError(value, env, seen) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, env, seen)) as T;
  if (value && typeof value === 'object') {
    if (seen.has(value)) return value;
    seen.add(value);
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, env, seen)])) as T;
  }
  return value;
}

/**
 * Redacts an error in place (message, stack, failure details and the cause chain), keeping its
 * class so Temporal still sees an ApplicationFailure or a CancelledFailure as such.
 */
export function redactError<E>(err: E, env: NodeJS.ProcessEnv = process.env, seen = new WeakSet<object>()): E {
  if (!(err instanceof Error) || seen.has(err)) return err;
  seen.add(err);
  try {
    err.message = redact(err.message, env);
    if (err.stack) err.stack = redact(err.stack, env);
    const withDetails = err as Error & { details?: unknown };
    if (Array.isArray(withDetails.details)) withDetails.details = redactDeep(withDetails.details, env, seen);
    if (err.cause !== undefined) err.cause = err.cause instanceof Error ? redactError(err.cause, env, seen) : redactDeep(err.cause, env, seen);
  } catch {
    /* a frozen error: leave it; the wrapper below replaces what it can */
  }
  return err;
}
