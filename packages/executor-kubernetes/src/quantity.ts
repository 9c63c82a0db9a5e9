/**
 * Kubernetes resource quantities (`500m`, `1.5`, `512Mi`, `1G`, `1e3`) read as numbers, so a
 * job's resource override can be compared with the runner's maximum. Format:
 * https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/ — a signed
 * decimal number, then a binary SI suffix (Ki Mi Gi Ti Pi Ei), a decimal SI suffix
 * (n u m "" k M G T P E) or a decimal exponent (e3, E-2). Pure.
 */

const QUANTITY =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The quantity's value in base units (cores, bytes); undefined when it is not a quantity. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, sign, digits, suffix] = match;
  let value = Number(digits);
  if (suffix !== undefined) {
    value *= /^[eE][+-]?\d/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIXES[suffix]!;
  }
  return sign === "-" ? -value : value;
}
